"""Stock tracking for the shop.

Not written yet: see tests/test_inventory.py for the expected behaviour.
"""

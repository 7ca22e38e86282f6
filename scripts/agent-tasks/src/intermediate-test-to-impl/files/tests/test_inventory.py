import pytest

from app.inventory import Inventory, OutOfStock


def test_add_accumulates():
    inv = Inventory()
    inv.add("apple", 3)
    inv.add("apple", 2)
    assert inv.count("apple") == 5


def test_unknown_item_counts_zero():
    assert Inventory().count("pear") == 0


def test_add_rejects_non_positive_quantity():
    with pytest.raises(ValueError):
        Inventory().add("apple", 0)


def test_remove():
    inv = Inventory()
    inv.add("apple", 5)
    inv.remove("apple", 2)
    assert inv.count("apple") == 3


def test_remove_more_than_stock_raises():
    inv = Inventory()
    inv.add("apple", 1)
    with pytest.raises(OutOfStock):
        inv.remove("apple", 2)
    assert inv.count("apple") == 1


def test_low_stock_is_sorted():
    inv = Inventory()
    inv.add("pear", 1)
    inv.add("apple", 2)
    inv.add("kiwi", 10)
    assert inv.low_stock(threshold=5) == ["apple", "pear"]

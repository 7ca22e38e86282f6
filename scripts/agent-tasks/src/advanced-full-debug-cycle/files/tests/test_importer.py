from datetime import date
from decimal import Decimal

from app.importer import load_transactions, monthly_totals

CSV = """date,amount,memo
2024-01-05,"1,200.00",salary
2024-01-20,-45.10,groceries
2024-02-03,-12.00,coffee
"""


def test_load_transactions():
    rows = load_transactions(CSV)
    assert rows[0]["date"] == date(2024, 1, 5)
    assert rows[0]["amount"] == Decimal("1200.00")
    assert rows[2]["memo"] == "coffee"


def test_monthly_totals():
    totals = monthly_totals(load_transactions(CSV))
    assert totals == {"2024-01": Decimal("1154.90"), "2024-02": Decimal("-12.00")}

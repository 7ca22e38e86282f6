import csv
import io

from app.parsing import parse_amount, parse_date


def load_transactions(text):
    rows = csv.DictReader(io.StringIO(text))
    return [
        {
            "date": parse_date(row["date"]),
            "amount": parse_amount(row["amount"]),
            "memo": row["memo"],
        }
        for row in rows
    ]


def monthly_totals(transactions):
    totals = {}
    for t in transactions:
        key = t["date"].strftime("%Y-%m")
        totals[key] = totals.get(key, 0) + t["amount"]
    return totals

from datetime import datetime
from decimal import Decimal

DATE_FORMAT = "%Y-%m-%d"


def parse_date(value):
    return datetime.strptime(value.strip(), DATE_FORMAT).date()


def parse_amount(value):
    cleaned = value.strip().replace(",", "")
    return Decimal(cleaned)

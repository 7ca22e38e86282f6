from datetime import datetime
from decimal import Decimal

DATE_FORMAT = "%Y-%d-%m"


def parse_date(value):
    return datetime.strptime(value.strip(), DATE_FORMAT).date()


def parse_amount(value):
    cleaned = value.strip().replace(",", "")
    return Decimal(cleaned)

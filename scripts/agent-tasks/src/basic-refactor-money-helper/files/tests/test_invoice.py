from app.invoice import subtotal_line, tax_line, total_line

ITEMS = [{"qty": 2, "price": 1500.0}, {"qty": 1, "price": 0.5}]
REFUND = [{"qty": -1, "price": 20.0}]


def test_lines():
    assert subtotal_line(ITEMS) == "Subtotal: $3,000.50"
    assert tax_line(ITEMS) == "Tax: $600.10"
    assert total_line(ITEMS) == "Total: $3,600.60"


def test_negative_amounts():
    assert subtotal_line(REFUND) == "Subtotal: -$20.00"
    assert total_line(REFUND) == "Total: -$24.00"

TAX_RATE = 0.2


def _net(items):
    return sum(item["qty"] * item["price"] for item in items)


def subtotal_line(items):
    subtotal = _net(items)
    if subtotal < 0:
        text = "-$" + format(abs(subtotal), ",.2f")
    else:
        text = "$" + format(subtotal, ",.2f")
    return "Subtotal: " + text


def tax_line(items):
    tax = _net(items) * TAX_RATE
    if tax < 0:
        text = "-$" + format(abs(tax), ",.2f")
    else:
        text = "$" + format(tax, ",.2f")
    return "Tax: " + text


def total_line(items):
    grand_total = _net(items) * (1 + TAX_RATE)
    if grand_total < 0:
        text = "-$" + format(abs(grand_total), ",.2f")
    else:
        text = "$" + format(grand_total, ",.2f")
    return "Total: " + text

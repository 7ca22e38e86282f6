TAX_RATE = 0.2


def _net(items):
    return sum(item["qty"] * item["price"] for item in items)


def format_money(amount):
    if amount < 0:
        return "-$" + format(abs(amount), ",.2f")
    return "$" + format(amount, ",.2f")


def subtotal_line(items):
    return "Subtotal: " + format_money(_net(items))


def tax_line(items):
    return "Tax: " + format_money(_net(items) * TAX_RATE)


def total_line(items):
    return "Total: " + format_money(_net(items) * (1 + TAX_RATE))

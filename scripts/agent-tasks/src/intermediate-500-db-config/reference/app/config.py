import os

DATABASE = {
    "path": os.environ.get("ORDERS_DB", "/var/lib/shop/orders.db"),
    "timeout": 5.0,
}

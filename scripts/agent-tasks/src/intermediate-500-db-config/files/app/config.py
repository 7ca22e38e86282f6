import os

DATABASE = {
    "path": os.environ.get("ORDERS_DB", "/var/lib/shop/orders.db"),
    "timout": 5.0,
}

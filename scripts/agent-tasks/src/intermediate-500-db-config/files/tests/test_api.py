import sqlite3

import pytest

from app import api
from app.config import DATABASE


@pytest.fixture(autouse=True)
def orders_db(tmp_path, monkeypatch):
    path = tmp_path / "orders.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE orders (id INTEGER, user_id INTEGER, total REAL)")
    conn.execute("INSERT INTO orders VALUES (1, 42, 9.5)")
    conn.commit()
    conn.close()
    monkeypatch.setitem(DATABASE, "path", str(path))


def test_health():
    assert api.handle("GET", "/health") == (200, {"status": "ok"})


def test_get_orders():
    status, body = api.handle("GET", "/orders/42")
    assert status == 200
    assert body == {"orders": [{"id": 1, "total": 9.5}]}

import pytest

from app import db


@pytest.fixture
def conn():
    conn = db.connect()
    conn.execute("INSERT INTO users VALUES (1, 'alice', 'alice@example.com')")
    conn.execute("INSERT INTO users VALUES (2, 'bob', 'bob@example.com')")
    conn.execute("INSERT INTO products VALUES (1, 'Blue mug', 8.5)")
    conn.execute("INSERT INTO products VALUES (2, 'Red mug', 9.0)")
    return conn


def test_get_user(conn):
    assert db.get_user(conn, "bob") == (2, "bob", "bob@example.com")


def test_get_user_injection(conn):
    assert db.get_user(conn, "x' OR '1'='1") is None


def test_search_products(conn):
    assert db.search_products(conn, "mug") == [("Blue mug", 8.5), ("Red mug", 9.0)]
    assert db.search_products(conn, "' OR 1=1 --") == []


def test_update_email_with_quote(conn):
    db.update_email(conn, 1, "o'neil@example.com")
    assert db.get_user(conn, "alice")[2] == "o'neil@example.com"

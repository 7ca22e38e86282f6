import pytest

from app import db, routes


@pytest.fixture
def conn():
    conn = db.connect()
    db.add_book(conn, "Dune", "Frank Herbert")
    db.add_book(conn, "Emma", "Jane Austen")
    return conn


def test_list_books(conn):
    status, body = routes.handle(conn, "GET", "/books")
    assert status == 200
    assert [book["title"] for book in body] == ["Dune", "Emma"]

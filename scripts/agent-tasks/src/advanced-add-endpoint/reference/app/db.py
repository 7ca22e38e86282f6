import sqlite3

SCHEMA = "CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT, author TEXT)"


def connect(path=":memory:"):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    conn.execute(SCHEMA)
    return conn


def add_book(conn, title, author):
    cur = conn.execute(
        "INSERT INTO books (title, author) VALUES (?, ?)", (title, author)
    )
    return cur.lastrowid


def list_books(conn):
    rows = conn.execute("SELECT id, title, author FROM books ORDER BY id")
    return [dict(row) for row in rows.fetchall()]


def get_book(conn, book_id):
    row = conn.execute(
        "SELECT id, title, author FROM books WHERE id = ?", (book_id,)
    ).fetchone()
    return dict(row) if row else None

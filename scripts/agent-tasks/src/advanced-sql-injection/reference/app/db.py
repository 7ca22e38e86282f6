import sqlite3


def connect(path=":memory:"):
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, email TEXT);
        CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL);
        """
    )
    return conn


def get_user(conn, username):
    query = "SELECT id, username, email FROM users WHERE username = ?"
    return conn.execute(query, (username,)).fetchone()


def search_products(conn, term):
    query = "SELECT name, price FROM products WHERE name LIKE ? ORDER BY name"
    return conn.execute(query, (f"%{term}%",)).fetchall()


def update_email(conn, user_id, email):
    conn.execute("UPDATE users SET email = ? WHERE id = ?", (email, user_id))
    conn.commit()

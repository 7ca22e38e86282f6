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
    query = f"SELECT id, username, email FROM users WHERE username = '{username}'"
    return conn.execute(query).fetchone()


def search_products(conn, term):
    query = "SELECT name, price FROM products WHERE name LIKE '%" + term + "%' ORDER BY name"
    return conn.execute(query).fetchall()


def update_email(conn, user_id, email):
    conn.execute(f"UPDATE users SET email = '{email}' WHERE id = {user_id}")
    conn.commit()

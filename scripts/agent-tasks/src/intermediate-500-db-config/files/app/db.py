import sqlite3

from app.config import DATABASE


def connect():
    return sqlite3.connect(
        DATABASE["path"],
        timeout=DATABASE["timeout"],
    )


def query(sql, params=()):
    conn = connect()
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()

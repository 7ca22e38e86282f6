from app import db


def handle(conn, method, path):
    """Route a request and return (status, body)."""
    if method == "GET" and path == "/books":
        return 200, db.list_books(conn)
    return 404, {"error": "not found"}

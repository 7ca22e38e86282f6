from app import db

NOT_FOUND = (404, {"error": "not found"})


def handle(conn, method, path):
    """Route a request and return (status, body)."""
    if method == "GET" and path == "/books":
        return 200, db.list_books(conn)
    if method == "GET" and path.startswith("/books/"):
        book_id = path[len("/books/"):]
        if not book_id.isdigit():
            return NOT_FOUND
        book = db.get_book(conn, int(book_id))
        return (200, book) if book else NOT_FOUND
    return NOT_FOUND

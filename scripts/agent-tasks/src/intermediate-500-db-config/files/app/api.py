import logging

from app import db

log = logging.getLogger("app.api")


def handle(method, path):
    """Tiny router used by the HTTP server: returns (status, body)."""
    try:
        if method == "GET" and path == "/health":
            return 200, {"status": "ok"}
        if method == "GET" and path.startswith("/orders/"):
            user_id = int(path.rsplit("/", 1)[1])
            return 200, {"orders": list_orders(user_id)}
        return 404, {"error": "not found"}
    except Exception:
        log.exception("unhandled error for %s %s", method, path)
        return 500, {"error": "internal server error"}


def list_orders(user_id):
    rows = db.query("SELECT id, total FROM orders WHERE user_id = ?", (user_id,))
    return [{"id": row[0], "total": row[1]} for row in rows]

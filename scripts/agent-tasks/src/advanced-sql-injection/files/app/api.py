from app import db


def profile(conn, params):
    row = db.get_user(conn, params["username"])
    if row is None:
        return 404, {"error": "no such user"}
    return 200, {"id": row[0], "username": row[1], "email": row[2]}


def search(conn, params):
    rows = db.search_products(conn, params.get("q", ""))
    return 200, [{"name": name, "price": price} for name, price in rows]


def change_email(conn, user_id, params):
    db.update_email(conn, user_id, params["email"])
    return 204, None

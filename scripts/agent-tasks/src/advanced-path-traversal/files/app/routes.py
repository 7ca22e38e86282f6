from urllib.parse import unquote

from app.files import download


def handle(method, path):
    if method != "GET":
        return 405, b"method not allowed"
    if path.startswith("/files/"):
        name = unquote(path[len("/files/"):])
        return download(name)
    return 404, b"not found"

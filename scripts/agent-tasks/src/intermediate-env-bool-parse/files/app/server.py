from app.settings import load


def handle(path):
    settings = load()
    if settings["maintenance"]:
        return 503, "Down for maintenance"
    if path == "/":
        return 200, "Welcome"
    return 404, "Not found"

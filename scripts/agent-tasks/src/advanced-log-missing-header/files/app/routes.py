import logging

from app.middleware import require_auth

log = logging.getLogger("app.routes")


def health(request):
    return 200, {"status": "ok"}


@require_auth
def profile(request):
    return 200, {"user_id": request["user_id"]}


ROUTES = {("GET", "/health"): health, ("GET", "/api/profile"): profile}


def dispatch(method, path, headers=None):
    handler = ROUTES.get((method, path))
    if handler is None:
        return 404, {"error": "not found"}
    request = {"method": method, "path": path, "headers": headers or {}}
    try:
        return handler(request)
    except Exception:
        log.exception("%s %s failed", method, path)
        return 500, {"error": "internal server error"}

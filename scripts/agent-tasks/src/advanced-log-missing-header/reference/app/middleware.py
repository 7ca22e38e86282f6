TOKENS = {"tok-7f3a": 7, "tok-91bc": 12}


class Unauthorized(Exception):
    pass


def authenticate(request):
    """Return the user id for the request's bearer token."""
    if "Authorization" not in request["headers"]:
        raise Unauthorized("missing Authorization header")
    header = request["headers"]["Authorization"]
    scheme, _, token = header.partition(" ")
    if scheme != "Bearer" or token not in TOKENS:
        raise Unauthorized("invalid token")
    return TOKENS[token]


def require_auth(handler):
    def wrapper(request):
        try:
            request["user_id"] = authenticate(request)
        except Unauthorized as exc:
            return 401, {"error": str(exc)}
        return handler(request)

    return wrapper

from app.routes import dispatch


def test_valid_token():
    headers = {"Authorization": "Bearer tok-7f3a"}
    assert dispatch("GET", "/api/profile", headers) == (200, {"user_id": 7})


def test_wrong_token_is_401():
    headers = {"Authorization": "Bearer nope"}
    assert dispatch("GET", "/api/profile", headers)[0] == 401


def test_missing_header_is_401():
    status, body = dispatch("GET", "/api/profile", {})
    assert status == 401
    assert "error" in body


def test_health_needs_no_token():
    assert dispatch("GET", "/health") == (200, {"status": "ok"})

import pytest

from app.server import handle
from app.settings import env_bool, load


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "yes"])
def test_truthy_values(monkeypatch, raw):
    monkeypatch.setenv("APP_DEBUG", raw)
    assert env_bool("APP_DEBUG") is True


@pytest.mark.parametrize("raw", ["0", "false", "False", "no"])
def test_falsy_values(monkeypatch, raw):
    monkeypatch.setenv("APP_DEBUG", raw)
    assert env_bool("APP_DEBUG") is False


def test_defaults(monkeypatch):
    monkeypatch.delenv("APP_MAINTENANCE", raising=False)
    assert load()["maintenance"] is False


def test_site_is_up_when_maintenance_false(monkeypatch):
    monkeypatch.setenv("APP_MAINTENANCE", "false")
    assert handle("/") == (200, "Welcome")

"""FORUM_BENCH=1, set only by `make bench`, lifts rate limits; nothing else does in production."""
import pytest

from forum import create_app
from forum.config import ConfigError
from forum.extensions import db


@pytest.fixture
def prod_env(monkeypatch, database_url):
    """Production mode on the (migrated) test database, as gunicorn would start it."""
    for key in ("FORUM_BENCH", "REDIS_URL", "RATELIMIT_STORAGE_URI"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("FORUM_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", database_url)
    return monkeypatch


def _limited_response(app):
    """Post an empty login form seven times (the limit is 6 a minute); return the last status."""
    client = app.test_client()
    try:
        statuses = [client.post("/login", data={}, base_url="https://localhost").status_code
                    for _ in range(7)]
    finally:
        with app.app_context():
            db.engine.dispose()
    assert statuses[:6] == [400] * 6, statuses  # refused as an empty form, nothing else
    return statuses[-1]


@pytest.mark.parametrize("value", [None, "", "0"])
def test_switch_is_off_unless_set(prod_env, value):
    if value is not None:
        prod_env.setenv("FORUM_BENCH", value)
    app = create_app()
    assert app.config["BENCH_MODE"] is False
    assert app.config["RATELIMIT_ENABLED"] is True


def test_rate_limits_apply_without_the_switch(prod_env):
    app = create_app({"WTF_CSRF_ENABLED": False})
    assert _limited_response(app) == 429


def test_bench_switch_lifts_rate_limits(prod_env):
    prod_env.setenv("FORUM_BENCH", "1")
    app = create_app({"WTF_CSRF_ENABLED": False})
    assert app.config["BENCH_MODE"] is True
    assert app.config["RATELIMIT_ENABLED"] is False
    assert _limited_response(app) == 400  # the empty form is refused, never rate-limited


def test_production_refuses_bench_mode_from_a_settings_file(prod_env):
    with pytest.raises(ConfigError, match="FORUM_BENCH=1 is not"):
        create_app({"BENCH_MODE": True})


@pytest.mark.parametrize("value", ["yes", "true", "2"])
def test_unclear_values_are_refused(prod_env, value):
    prod_env.setenv("FORUM_BENCH", value)
    with pytest.raises(ConfigError, match="FORUM_BENCH="):
        create_app()

"""Modes, the SECRET_KEY rule, database URLs, and a factory that never touches the database."""
import threading

import pytest
from sqlalchemy import event

from forum import create_app
from forum.config import ConfigError, ProductionConfig, instance_secret_key, normalise_database_url


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for key in ("SECRET_KEY", "DATABASE_URL", "FORUM_ENV", "REDIS_URL", "RATELIMIT_STORAGE_URI"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(tmp_path / "x.db"))
    return monkeypatch


@pytest.mark.parametrize(
    "mode, env_name, testing",
    [("development", "development", False), ("production", "production", False), ("test", "test", True)],
)
def test_forum_env_picks_the_mode(clean_env, mode, env_name, testing):
    clean_env.setenv("FORUM_ENV", mode)
    clean_env.setenv("SECRET_KEY", "k" * 40)
    app = create_app()
    assert app.config["ENV_NAME"] == env_name
    assert app.testing is testing


def test_unknown_mode_is_refused(clean_env):
    clean_env.setenv("FORUM_ENV", "staging")
    with pytest.raises(ConfigError, match="not a mode"):
        create_app()


def test_production_without_secret_key_stops_with_a_clear_message(clean_env):
    clean_env.setenv("FORUM_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app()


def test_production_cookies_are_secure(clean_env):
    clean_env.setenv("FORUM_ENV", "production")
    clean_env.setenv("SECRET_KEY", "k" * 40)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert ProductionConfig.SESSION_COOKIE_SECURE


def test_development_generates_one_key_and_keeps_it(clean_env, tmp_path):
    clean_env.setenv("FORUM_ENV", "development")
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    key = first.config["SECRET_KEY"]
    assert len(key) >= 32
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert second.config["SECRET_KEY"] == key


def test_concurrent_workers_agree_on_the_development_key(tmp_path):
    keys, barrier = [], threading.Barrier(16)

    def start():
        barrier.wait()
        keys.append(instance_secret_key(tmp_path))

    threads = [threading.Thread(target=start) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 16 and len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


@pytest.mark.parametrize(
    "given, expected",
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_are_normalised_to_psycopg3(given, expected):
    assert normalise_database_url(given) == expected


def test_database_url_comes_from_the_environment(clean_env):
    clean_env.setenv("FORUM_ENV", "test")
    clean_env.setenv("DATABASE_URL", "postgres://u@127.0.0.1/forum")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1/forum"
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_the_factory_never_touches_the_database(clean_env):
    from sqlalchemy.engine import Engine

    seen = []

    def record(*args):
        seen.append(args)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        clean_env.setenv("FORUM_ENV", "test")
        create_app()
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert seen == []


def test_redis_url_becomes_the_rate_limit_store(clean_env):
    clean_env.setenv("FORUM_ENV", "test")
    clean_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    app = create_app()
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/15"

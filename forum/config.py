"""Settings for each mode, read from the environment when the app is created."""
import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """Raised when the app cannot start with the given configuration."""


class Config:
    """Defaults shared by every mode."""

    ENV_NAME = "development"
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = None  # filled in by finalise() from DATABASE_URL
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_RECORD_QUERIES = False
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    #: Far above the largest form, so an over-long post gets a field message, not a 413.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    REDIS_URL = None
    #: Mail: development prints to the console; production sends over SMTP.
    MAIL_BACKEND = "smtp"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_TIMEOUT = 10
    MAIL_DEFAULT_SENDER = "Forum <noreply@forum.invalid>"
    MAIL_MESSAGE_ID_DOMAIN = None
    #: The site's address, for links in emails sent by the worker (outside any request).
    PUBLIC_URL = "http://127.0.0.1:5000"
    #: Minutes to wait before emailing a notification; one read in the site meanwhile is not sent.
    NOTIFY_EMAIL_DELAY = 10
    #: Seconds a worker holds a claimed email before another worker may take it.
    OUTBOX_LEASE_SECONDS = 120
    #: Where ../shared lives (demo and reference data); optional and read-only.
    FORUM_SHARED_DIR = None
    #: Set only by `make bench` (FORUM_BENCH=1): rate limits off for the run. See bench_mode().
    BENCH_MODE = False
    TESTING = False


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False
    MAIL_BACKEND = "console"
    TEMPLATES_AUTO_RELOAD = True


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    RATELIMIT_ENABLED = False  # tests of limits switch it back on
    #: Most tests post without a token; tests marked "csrf" and the live server keep it on.
    WTF_CSRF_ENABLED = False
    #: Nothing listens here: a test that would send mail without the mailbox fixture fails.
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 9
    MAIL_TIMEOUT = 5
    NOTIFY_EMAIL_DELAY = 0
    #: Fast hashing in tests only; production keeps Werkzeug's scrypt default.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


MODES = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "test": TestConfig,
}


def config_for_env():
    """Return the config class named by ``FORUM_ENV`` (development by default)."""
    name = os.environ.get("FORUM_ENV", "development").strip().lower()
    try:
        return MODES[name]
    except KeyError:
        raise ConfigError(
            f"FORUM_ENV={name!r} is not a mode; use one of {', '.join(MODES)}."
        ) from None


def normalise_database_url(url):
    """Point postgres:// and postgresql:// URLs at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def finalise(app):
    """Fill settings that depend on the environment and the instance folder."""
    env = os.environ
    for key in ("SECRET_KEY", "REDIS_URL", "RATELIMIT_STORAGE_URI", "FORUM_SHARED_DIR",
                "MAIL_BACKEND", "MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD",
                "MAIL_DEFAULT_SENDER", "MAIL_MESSAGE_ID_DOMAIN", "PUBLIC_URL"):
        if env.get(key):
            app.config[key] = env[key]
    for key in ("MAIL_PORT", "NOTIFY_EMAIL_DELAY", "OUTBOX_LEASE_SECONDS"):
        if env.get(key, "").isdigit():
            app.config[key] = int(env[key])
    for key in ("MAIL_USE_TLS", "MAIL_USE_SSL"):
        if key in env:
            app.config[key] = env[key].lower() in ("1", "true", "yes")
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        default = "sqlite:///" + str(Path(app.instance_path) / "forum.db")
        app.config["SQLALCHEMY_DATABASE_URI"] = env.get("DATABASE_URL") or default
    url = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.startswith("postgresql"):
        options.setdefault("pool_pre_ping", True)
    elif url.startswith("sqlite"):
        # Wait for a writer instead of failing at once (busy_timeout is set per connection too).
        options.setdefault("connect_args", {"timeout": 5, "check_same_thread": False})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    bench_mode(app, env)
    if app.config.get("REDIS_URL") and not env.get("RATELIMIT_STORAGE_URI"):
        if app.config.get("RATELIMIT_STORAGE_URI") == "memory://":
            app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    if not app.config.get("FORUM_SHARED_DIR"):
        app.config["FORUM_SHARED_DIR"] = str(Path(app.root_path).parent.parent / "shared")
    if not app.config.get("SECRET_KEY"):
        if app.config["ENV_NAME"] == "production":
            raise ConfigError(
                "SECRET_KEY is not set. In production, set the SECRET_KEY environment "
                "variable to a long random value (e.g. python -c 'import secrets; "
                "print(secrets.token_hex(32))')."
            )
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))


def bench_mode(app, env):
    """Apply FORUM_BENCH: ``1`` switches rate limits off for a benchmark run; ``0`` or unset does not.

    In production the environment variable is the only way in: BENCH_MODE set in a
    settings file without FORUM_BENCH=1 stops the app, so a stray setting cannot lift a
    live site's limits. (Duplicate posts are caught by one-time form tokens, which the benchmark
    sends fresh on each post, so nothing else needs switching off.)
    """
    flag = env.get("FORUM_BENCH", "").strip()
    if flag not in ("", "0", "1"):
        raise ConfigError(f"FORUM_BENCH={flag!r}: use 1 (benchmark run: rate limits off) or 0.")
    if flag == "1":
        app.config["BENCH_MODE"] = True
    elif app.config.get("BENCH_MODE") and app.config["ENV_NAME"] == "production":
        raise ConfigError("BENCH_MODE is set but FORUM_BENCH=1 is not: production keeps its "
                          "rate limits unless the benchmark's environment variable is given.")
    if app.config["BENCH_MODE"]:
        app.config["RATELIMIT_ENABLED"] = False
        app.logger.warning("FORUM_BENCH=1: benchmark run, rate limits are off.")


def instance_secret_key(instance_path):
    """Return the development key kept in the instance folder, creating it once.

    The key is written to a temporary file and linked into place, so several
    workers starting together all end up reading the same key.
    """
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        tmp = instance_path / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        tmp.write_text(secrets.token_hex(32))
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another worker won the race; use its key
        finally:
            tmp.unlink()
    return path.read_text().strip()

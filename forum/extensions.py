"""The Flask extensions, created once and bound to an app in create_app()."""
import sqlite3

from flask import g, has_app_context, has_request_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

#: Predictable constraint names, so migrations can drop and alter them on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
mail = Mail()

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    """Apply the embedded database's settings to every new SQLite connection."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event issue BEGIN itself (see _begin_sqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "foreign_keys=ON",
        "busy_timeout=5000",
        "synchronous=NORMAL",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(conn):
    """Open write transactions with BEGIN IMMEDIATE on SQLite.

    A deferred transaction that reads and then writes fails with "database is
    locked" when another writer got there first; taking the write lock up front
    makes it wait (busy_timeout) instead. Safe requests, which never write, keep a
    plain deferred BEGIN so readers never queue behind writers.
    """
    if conn.dialect.name != "sqlite":
        return
    if has_request_context():
        deferred = request.method in SAFE_METHODS
    else:
        # Outside requests (CLI, worker) writes are the norm; a context that mostly
        # reads, such as a test's own session beside a live server, can opt out.
        deferred = has_app_context() and g.get("sqlite_deferred_begin", False)
    conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def init_app(app):
    """Bind every extension to ``app``."""
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)

"""The benchmark's in-process view of the app: page addresses, SQL queries per page, counts.

Queries are counted by fetching each page through the app itself (Flask's test client,
production config, the benchmark database) with a SQLAlchemy ``before_cursor_execute``
listener, on the second fetch so per-process caches are warm, as in a running worker.
"""
import os

from bench_http import form_fields
from sqlalchemy import create_engine, event, func, select, text

HTTPS = "https://localhost"  # production cookies are Secure: the test client must look like HTTPS
NOT_QUERIES = ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")


class AppProbe:
    def __init__(self, url, env):
        os.environ.update({key: env[key] for key in ("FORUM_ENV", "SECRET_KEY", "FORUM_BENCH")})
        os.environ["DATABASE_URL"] = url
        from forum import create_app

        self.app = create_app()
        self._member_client = None
        with self.app.app_context():
            from forum.extensions import db
            from forum.models import Answer, Comment, Question, User, Vote
            from forum.services import settings

            self.answers_per_page = settings.get("answers_per_page")
            self.questions_per_page = settings.get("questions_per_page")
            dialect = db.engine.dialect.name
            if dialect == "sqlite":
                self.version = "SQLite " + db.session.scalar(text("select sqlite_version()"))
            else:
                self.version = "PostgreSQL " + db.session.scalar(text("show server_version")).split()[0]
            counts = {name: db.session.scalar(select(func.count()).select_from(model))
                      for name, model in (("questions", Question), ("answers", Answer), ("comments", Comment),
                                          ("votes", Vote), ("members", User))}
            self.counts = ", ".join(f"{value:,} {name}" for name, value in counts.items())
            self.question_count = counts["questions"]
            db.session.remove()

    def _one(self, model, import_key):
        from forum.extensions import db

        found = db.session.scalar(select(model).where(model.import_key == import_key))
        if found is None:
            raise SystemExit(f"{import_key} is not in the benchmark database: reload it (--reload)")
        return found

    def member(self, index):
        from forum.models import User

        with self.app.app_context():
            return self._one(User, f"bench:user:{index}").username

    def pages(self, questions, deep_page, scale):
        """[(name, path)] of the reference pages (../shared/bench/README.md) and deep list pages."""
        from flask import url_for

        from forum.extensions import db
        from forum.models import Category, Question, User
        from forum.urls import question_url, user_url

        with self.app.test_request_context(base_url=HTTPS), self.app.app_context():
            pages = [("home", "/")]
            pages += [(name, question_url(self._one(Question, f"bench:q:{index}")))
                      for name, index in questions.items()]
            pages.append(("search", "/search?q=baob+paloka"))
            anxiety = db.session.scalar(select(Category).where(Category.title == "Anxiety"))
            pages.append(("category", url_for("questions.category", slug=anxiety.slug)))
            pages.append(("user", user_url(self._one(User, "bench:user:0"))))
            pages.append((f"list p{deep_page}", f"/?page={deep_page}"))
            if scale > 1:
                deepest = self.question_count // self.questions_per_page * 9 // 10
                pages.append((f"list p{deepest}", f"/?page={deepest}"))
            db.session.remove()
        self.paths = dict(pages)
        return pages

    def log_in_client(self, username, password):
        client = self.app.test_client()
        page = client.get("/login", base_url=HTTPS)
        _, fields = form_fields(page.get_data(as_text=True), r"/login")
        fields.update(username=username, password=password)
        fields.pop("remember", None)
        # Over HTTPS, Flask-WTF also wants a same-site Referer (WTF_CSRF_SSL_STRICT).
        response = client.post("/login", data=fields, base_url=HTTPS, headers={"Referer": f"{HTTPS}/login"})
        if response.status_code not in (302, 303):
            raise SystemExit(f"in-process login as {username} answered {response.status_code}")
        client.get(response.headers["Location"], base_url=HTTPS)  # shows the login's message, once
        self._member_client = client

    def count_queries(self, path, logged_in):
        """SQL statements the app sends for one fetch of ``path`` (transaction control excluded)."""
        from forum.extensions import db

        client = self._member_client if logged_in else self.app.test_client()
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if statement.strip().upper() not in NOT_QUERIES:
                statements.append(statement)

        client.get(path, base_url=HTTPS)  # warm per-process caches, as a worker's are
        with self.app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            response = client.get(path, base_url=HTTPS)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code} in-process")
        return len(statements)

    def count_answers(self, url, since=None):
        """Without ``since``: the highest post id. With it: (visible, queued) answers after it."""
        from flask import g

        from forum.config import normalise_database_url

        engine = create_engine(normalise_database_url(url))
        try:
            with self.app.app_context(), engine.connect() as conn:
                # Only reads: a deferred BEGIN, so it never queues for SQLite's write lock
                # behind answers still being posted (forum/extensions.py).
                g.sqlite_deferred_begin = True
                if since is None:
                    return conn.scalar(text("select coalesce(max(id), 0) from posts"))
                rows = dict(conn.execute(text(
                    "select status, count(*) from posts where type = 'answer' and id > :since group by status"),
                    {"since": since}).all())
                return rows.get("visible", 0), rows.get("queued", 0)
        finally:
            engine.dispose()

    def dispose(self, url=None):
        from forum.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

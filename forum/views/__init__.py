"""Blueprints: thin views that parse input, call one service, then respond."""
from werkzeug.routing import IntegerConverter

#: The largest id a column holds (PostgreSQL's integer, SQLite's bound parameters).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a number beyond any id is no page (404), never a
    query that overflows its column."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 - Werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register_blueprints(app):
    app.url_map.converters["int"] = IdConverter
    from forum.views import (
        account_data,
        admin,
        admin_categories,
        admin_moderation,
        answers,
        auth,
        credentials,
        curation,
        edits,
        feeds,
        flags,
        moderation,
        notifications,
        previews,
        questions,
        safety,
        sanctions,
        search,
        theme,
        users,
        votes,
    )

    for module in (questions, answers, votes, edits, curation, flags, moderation, sanctions,
                   notifications, safety, auth, users, admin, admin_categories, admin_moderation, search,
                   feeds, credentials, theme, previews):
        app.register_blueprint(module.bp)

    app.register_blueprint(account_data.bp)

    from forum.views import reauth, sessions

    app.register_blueprint(sessions.bp)
    app.register_blueprint(reauth.bp)

    from forum.views import legacy  # old addresses of imported sites (after the others: catch-all paths)

    app.register_blueprint(legacy.bp)

    from forum.views import guards

    guards.init_app(app)

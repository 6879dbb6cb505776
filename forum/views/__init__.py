"""Blueprints: thin views that parse input, call one service, then respond."""


def register_blueprints(app):
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

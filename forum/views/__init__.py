"""Blueprints: thin views that parse input, call one service, then respond."""


def register_blueprints(app):
    from forum.views import admin, auth, main, users

    for module in (main, auth, users, admin):
        app.register_blueprint(module.bp)

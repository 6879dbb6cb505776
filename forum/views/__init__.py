"""Blueprints: thin views that parse input, call one service, then respond."""


def register_blueprints(app):
    from forum.views import admin, answers, auth, questions, users, votes

    for module in (questions, answers, votes, auth, users, admin):
        app.register_blueprint(module.bp)

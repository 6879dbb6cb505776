"""Blueprints: thin views that parse input, call one service, then respond."""


def register_blueprints(app):
    from forum.views import (
        admin,
        answers,
        auth,
        curation,
        edits,
        moderation,
        questions,
        users,
        votes,
    )

    for module in (questions, answers, votes, edits, curation, moderation, auth, users, admin):
        app.register_blueprint(module.bp)

"""Create the Forum application."""
from pathlib import Path

from flask import Flask


def create_app(config=None, instance_path=None):
    """Build the app: defaults for FORUM_ENV, the instance folder, then ``config``.

    ``config`` may be a config class or a mapping of overrides. The factory never
    touches the database.
    """
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    from forum import config as config_module

    base = config_module.config_for_env()
    if isinstance(config, type):
        base = config
    app.config.from_object(base)
    app.config.from_pyfile("settings.py", silent=True)
    if isinstance(config, dict):
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    config_module.finalise(app)

    from forum import extensions

    extensions.init_app(app)

    from forum.services import generation

    generation.init_app(app)

    from forum.views import register_blueprints

    register_blueprints(app)

    from forum import cli, security, templating

    security.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    return app

"""The app's one Redis client, when ``REDIS_URL`` is set: shared state for several processes."""
from flask import current_app


def redis_client():
    """Return the process's Redis client (one connection pool), or None without ``REDIS_URL``."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = current_app.extensions.get("forum_redis")
    if client is None:
        import redis

        # Created lazily, so each gunicorn worker opens its own connections after the fork.
        client = current_app.extensions["forum_redis"] = redis.Redis.from_url(url, socket_timeout=2)
    return client

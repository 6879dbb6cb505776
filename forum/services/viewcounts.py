"""Question views, counted without a database write per request.

A view is buffered — in Redis when ``REDIS_URL`` is set (shared by every server),
otherwise appended to a spool file in the instance folder (shared by every process
on the machine; appends of one short line are atomic). ``flask forum flush-views``
adds the buffered counts to the database in one batch.
"""
import os
from collections import Counter
from pathlib import Path

from flask import current_app
from sqlalchemy import update

from forum.extensions import db
from forum.models import Question
from forum.services.redis_store import redis_client

REDIS_KEY = "forum:views"


def _spool():
    return Path(current_app.instance_path) / "views.spool"


def record_view(question_id):
    """Buffer one view of a question; never fails the request."""
    try:
        client = redis_client()
        if client is not None:
            client.hincrby(REDIS_KEY, str(int(question_id)), 1)
            return
        fd = os.open(_spool(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{int(question_id)}\n".encode())
        finally:
            os.close(fd)
    except Exception:  # noqa: BLE001 - a lost view must never cost a page
        current_app.logger.warning("could not buffer a question view", exc_info=True)


def _take_buffered():
    """Atomically take what is buffered, so views recorded meanwhile are kept."""
    counts = Counter()
    client = redis_client()
    if client is not None:
        taking = f"{REDIS_KEY}:flushing:{os.getpid()}"
        if client.exists(REDIS_KEY) and client.renamenx(REDIS_KEY, taking):
            for key, value in client.hgetall(taking).items():
                counts[int(key)] += int(value)
            client.delete(taking)
    spool = _spool()
    if spool.exists():
        taking = spool.with_name(f"views.spool.{os.getpid()}.flushing")
        os.replace(spool, taking)
        for line in taking.read_text().split():
            if line.isdigit():
                counts[int(line)] += 1
        taking.unlink()
    return counts


def flush_views():
    """Add the buffered views to the questions; return how many were added."""
    counts = _take_buffered()
    by_count = {}
    for question_id, count in counts.items():
        by_count.setdefault(count, []).append(question_id)
    for count, ids in by_count.items():
        db.session.execute(
            update(Question).where(Question.id.in_(ids)).values(view_count=Question.view_count + count)
        )
    db.session.flush()
    return sum(counts.values())

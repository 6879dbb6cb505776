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
from forum.services.row_locks import lock_rows

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
        _append_to_spool({question_id: 1})
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
    """Add the buffered views to the questions and commit; return how many were added.

    The counts leave the buffer before the write (so views recorded meanwhile are kept);
    should the write fail (the database away, a lock wait given up) they are put back,
    so no view is lost, and the error goes on to the caller. The questions are locked in
    id order, as everything else that writes several of them does.
    """
    counts = _take_buffered()
    if not counts:
        return 0
    try:
        ids = lock_rows(Question, counts)
        by_count = {}
        for question_id in ids:
            by_count.setdefault(counts[question_id], []).append(question_id)
        for count, same in by_count.items():
            db.session.execute(
                update(Question).where(Question.id.in_(same)).values(view_count=Question.view_count + count)
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        _put_back(counts)
        raise
    return sum(counts.values())


def _put_back(counts):
    """Return counts taken by a flush that failed to the buffer they came from."""
    client = redis_client()
    if client is not None:
        pipe = client.pipeline()
        for question_id, count in counts.items():
            pipe.hincrby(REDIS_KEY, str(int(question_id)), count)
        pipe.execute()
        return
    _append_to_spool(counts)


def _append_to_spool(counts):
    """Append views to the spool file, one line per view (one write: appends never interleave)."""
    fd = os.open(_spool(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, "".join(f"{int(question_id)}\n" * count for question_id, count in counts.items()).encode())
    finally:
        os.close(fd)

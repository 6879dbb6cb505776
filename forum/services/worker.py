"""The worker: deliver the outbox with leases and retries, and run due periodic jobs once.

Several workers may run at once, on several machines: an email is claimed by
setting its lease in a single UPDATE (with FOR UPDATE SKIP LOCKED on PostgreSQL;
SQLite lets one writer in at a time), and a job by moving its next run time
forward only if it is still due, so exactly one worker wins each run.
"""
import logging
import os
import socket
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from forum.extensions import db, mail
from forum.models import Job, Notification, OutboxMessage, Post, User, utcnow
from forum.services import mail as mail_service
from forum.services import notifications

log = logging.getLogger("forum.worker")
BATCH = 20
#: Back-off after the n-th failure: 1, 2, 4 … minutes, at most 6 hours.
MAX_BACKOFF_MINUTES = 360
#: After this many failures an email is shown to admins as stuck (and still retried).
STUCK_AFTER = 8


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_batch(name, now=None, limit=BATCH):
    """Claim up to ``limit`` due emails for worker ``name``; return their ids."""
    now = now or utcnow()
    lease = timedelta(seconds=current_app.config.get("OUTBOX_LEASE_SECONDS", 120))
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.not_before <= now,
               or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < now - lease))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(due))
    if not ids:
        db.session.commit()
        return []
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids))
        .values(claimed_at=now, claimed_by=name)
    )
    db.session.commit()
    return ids


def _still_wanted(message):
    """A notification read in the site before its email was due is not emailed, nor one
    whose recipient has unsubscribed since it was queued (account emails always go)."""
    if message.category != "notification":
        return True
    if message.notification_id is not None:
        notification = db.session.get(Notification, message.notification_id)
        if notification is not None and notification.read_at is not None:
            return False
    return not _unsubscribed(message)


def _unsubscribed(message):
    """Tell whether the recipient named by the email's own unsubscribe link has used it."""
    token = (message.unsubscribe_url or "").rpartition("/")[2]
    payload = mail_service.read_unsubscribe_token(token) if token else None
    if not payload:
        return False
    if "u" in payload:
        user = db.session.get(User, payload["u"])
        return user is None or not any(notifications.prefs(user).values())
    # A guest who unsubscribed has had their address removed from every post.
    return db.session.scalar(select(Post.id).where(Post.guest_email == payload.get("e")).limit(1)) is None


def _renew_lease(message_id, name):
    """Extend this worker's lease just before sending; False if another worker took the email.

    Committed before the mail server is contacted, so no transaction (nor SQLite's
    write lock) is held during the SMTP conversation, and a lease that ran out during
    a slow batch is not taken over while the email is being sent.
    """
    renewed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == name,
               OutboxMessage.sent_at.is_(None))
        .values(claimed_at=utcnow())
    ).rowcount
    db.session.commit()
    return renewed == 1


def deliver(ids, name):
    """Send the claimed emails one by one; return (sent, failed)."""
    sent = failed = 0
    connection = None
    for message_id in ids:
        if not _renew_lease(message_id, name):
            continue
        message = db.session.get(OutboxMessage, message_id)
        if not _still_wanted(message):
            message.sent_at, message.skipped = utcnow(), True
            db.session.commit()
            continue
        try:
            email = mail_service.build(message)
            db.session.commit()  # end the read transaction before talking to the mail server
            if connection is None:
                connection = mail.get_connection(fail_silently=False)
                connection.open()
            _send(connection, email)
        except Exception as error:  # noqa: BLE001 - any delivery failure is retried later
            failed += 1
            message.attempts += 1
            message.last_error = f"{type(error).__name__}: {error}"[:500]
            minutes = min(2 ** (message.attempts - 1), MAX_BACKOFF_MINUTES)
            message.not_before = utcnow() + timedelta(minutes=minutes)
            message.claimed_at = message.claimed_by = None
            db.session.commit()
            log.warning("email %s failed (attempt %s): %s", message.id, message.attempts, message.last_error)
            if connection is not None:
                try:
                    connection.close()
                except Exception:  # noqa: BLE001
                    pass
                connection = None
            continue
        message.sent_at = utcnow()
        db.session.commit()
        sent += 1
    if connection is not None:
        try:
            connection.close()
        except Exception:  # noqa: BLE001
            pass
    return sent, failed


def _send(connection, email):
    email.connection = connection
    if email.send(fail_silently=False) != 1:
        raise RuntimeError("the mail server did not accept the message")


def stuck_messages(limit=50):
    """Emails that keep failing, for the admins (they are kept and retried, never dropped)."""
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts >= STUCK_AFTER)
        .order_by(OutboxMessage.id).limit(limit)
    ))


# --- Periodic jobs ----------------------------------------------------------------

#: name -> (interval in seconds, function); the functions commit nothing themselves, but
#: for flush-views, which commits its own write so it can put the views back if it fails.
JOBS = {}


def job(name, interval_seconds):
    def register(function):
        JOBS[name] = (interval_seconds, function)
        return function

    return register


def ensure_jobs(now=None):
    now = now or utcnow()
    known = set(db.session.scalars(select(Job.name)))
    for name, (interval, _) in JOBS.items():
        if name not in known:
            db.session.add(Job(name=name, interval_seconds=interval, next_run_at=now))
    db.session.commit()


def run_due_jobs(now=None):
    """Run each due job once, whatever other workers do; return the names run."""
    now = now or utcnow()
    ran = []
    for name, (interval, function) in JOBS.items():
        row = db.session.get(Job, name)
        if row is None or row.next_run_at > now:
            db.session.rollback()
            continue
        won = db.session.execute(
            update(Job).where(Job.name == name, Job.next_run_at == row.next_run_at)
            .values(next_run_at=now + timedelta(seconds=interval), last_run_at=now)
        ).rowcount
        db.session.commit()
        if won != 1:
            continue
        try:
            function()
            db.session.commit()
            ran.append(name)
        except Exception as error:  # noqa: BLE001 - a failing job must not stop the worker
            db.session.rollback()
            db.session.execute(update(Job).where(Job.name == name).values(last_error=str(error)[:500]))
            db.session.commit()
            log.exception("job %s failed", name)
    return ran


def run_once(name=None):
    """One pass: due jobs, then one batch of email. Returns (jobs run, sent, failed)."""
    name = name or worker_name()
    ran = run_due_jobs()
    sent, failed = deliver(claim_batch(name), name)
    return ran, sent, failed


def run_forever(poll_seconds=5, stop=None):
    ensure_jobs()
    name = worker_name()
    log.info("worker %s started", name)
    while stop is None or not stop():
        try:
            _, sent, _ = run_once(name)
        except Exception:  # noqa: BLE001 - e.g. the database restarting; try again shortly
            db.session.rollback()
            log.exception("worker pass failed")
            sent = 0
        if not sent:
            time.sleep(poll_seconds)

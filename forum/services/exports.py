"""'Download my data': a ZIP of JSON files built by the worker, behind a signed, expiring link.

A request adds a pending ``DataExport``; the worker's ``build-data-exports`` job builds
it, stores the bytes in the database (so any app server can hand it out) and tells the
member in the site. The link carries a token signed with SECRET_KEY under its own salt
and is served only to the member it was made for, for EXPORT_DAYS days.
"""
import io
import json
import zipfile
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, inspect, or_, select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import (
    Credential,
    DataExport,
    Flag,
    Follow,
    ModerationAction,
    Notification,
    Post,
    Revision,
    RiskReport,
    Sanction,
    User,
    Vote,
    utcnow,
)
from forum.services import notifications
from forum.services.errors import Conflict, NotFound, PermissionDenied

SALT = "forum-data-export"
EXPORT_DAYS = 7
#: Exports built per run of the job (each one is one member's whole history).
BUILD_BATCH = 5
#: Audit entries whose reason is a moderator's private note, never shown to the member.
PRIVATE_REASON_ACTIONS = frozenset({"queue-claim", "queue-escalate", "queue-resolve", "risk-level", "reveal"})
#: Columns never written into an export, whatever table they are in.
SECRET_COLUMNS = frozenset({"password_hash", "session_epoch", "import_key", "email_canonical",
                            "username_canonical", "submission_token", "key_hash", "epoch"})


class ExpiredExport(Exception):
    """The link was genuine, but the export it led to has expired (410)."""


# --- Requesting and building --------------------------------------------------------------

def latest_export(user):
    return db.session.scalar(
        select(DataExport).where(DataExport.user_id == user.id)
        .order_by(DataExport.created_at.desc(), DataExport.id.desc()).limit(1)
    )


def request_export(user):
    """Queue an export for ``user``; the worker builds it.

    :raise Conflict: one is already being prepared.
    """
    pending = db.session.scalar(
        select(DataExport.id).where(DataExport.user_id == user.id, DataExport.status == "pending"))
    if pending is not None:
        raise Conflict("Your data is already being prepared; you'll be told here when it is ready.")
    export = DataExport(user_id=user.id, status="pending")
    db.session.add(export)
    db.session.flush()
    return export


def build_export(export, now=None):
    """Build one pending export, replace the member's older ones, and tell the member."""
    now = now or utcnow()
    user = db.session.get(User, export.user_id)
    export.content = archive(user)
    export.size = len(export.content)
    export.status, export.ready_at, export.expires_at = "ready", now, now + timedelta(days=EXPORT_DAYS)
    db.session.execute(delete(DataExport).where(DataExport.user_id == user.id, DataExport.id != export.id,
                                                DataExport.status != "pending"))
    if user.deleted_at is None:
        # In the site only: the link needs a login anyway, and an email adds nothing.
        db.session.add(Notification(
            user_id=user.id, kind="data-export",
            text=f"Your data is ready to download from “Your data” in your account until "
                 f"{export.expires_at:%d %B %Y}."))
    db.session.flush()


def build_pending(limit=BUILD_BATCH):
    """The worker's job: build up to ``limit`` pending exports; return how many were built."""
    built = 0
    for export in db.session.scalars(
        select(DataExport).where(DataExport.status == "pending").order_by(DataExport.id).limit(limit)
    ):
        try:
            with db.session.begin_nested():
                build_export(export)
        except Exception:  # noqa: BLE001 - one broken export must not block the others
            current_app.logger.exception("data export %s failed", export.id)
            export.status = "failed"
            db.session.flush()
            continue
        built += 1
    return built


def delete_expired(now=None):
    """The worker's job: delete exports past their expiry; return how many."""
    now = now or utcnow()
    return db.session.execute(
        delete(DataExport).where(DataExport.expires_at.is_not(None), DataExport.expires_at <= now)
    ).rowcount


# --- The signed link -------------------------------------------------------------------------

def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def download_token(export):
    return _serializer().dumps({"x": export.id, "u": export.user_id})


def export_for_download(token, user, now=None):
    """Return the ready export a link leads to, if ``user`` is the member it was made for.

    :raise NotFound: tampered or unknown link, or not built yet.
    :raise ExpiredExport: older than EXPORT_DAYS, or the export has expired or been replaced.
    :raise PermissionDenied: someone else's link.
    """
    try:
        payload = _serializer().loads(token, max_age=EXPORT_DAYS * 24 * 3600)
    except SignatureExpired:
        raise ExpiredExport() from None
    except BadSignature:
        raise NotFound("This download link is not valid.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("x"), int) \
            or not isinstance(payload.get("u"), int):
        raise NotFound("This download link is not valid.")
    if payload["u"] != user.id:
        raise PermissionDenied("This download link belongs to another account.")
    export = db.session.get(DataExport, payload["x"])
    if export is None or export.user_id != user.id:
        raise ExpiredExport()
    if export.status != "ready":
        raise NotFound("This export is not ready yet.")
    if export.expires_at is None or export.expires_at <= (now or utcnow()):
        raise ExpiredExport()
    return export


def filename(export):
    return f"my-data-{export.ready_at:%Y-%m-%d}.zip"


# --- What the archive holds -------------------------------------------------------------------

def _row(obj, columns):
    return {column: getattr(obj, column) for column in columns}


def _moderator_name(actor, user):
    if actor is None:
        return "system"
    if actor.id == user.id:
        return "you"
    if actor.deleted_at is not None:
        return "deleted member"
    return actor.username


def user_data(user):
    """Return {file name: JSON-ready data} with everything the forum holds about ``user``."""
    prefs = notifications.prefs(user)
    profile = _row(user, ("id", "username", "email", "level", "points", "created_at", "last_login_at",
                          "consented_at", "email_verified_at", "blocked_until", "block_reason",
                          "break_until", "risk_alerts", "deleted_at", "deletion_mode"))
    profile.update(email_notifications=prefs, muted_words=json.loads(user.muted_words or "[]"),
                   muted_categories=json.loads(user.muted_categories or "[]"))
    own_posts = list(db.session.scalars(
        select(Post).where(Post.author_id == user.id).options(joinedload(Post.category)).order_by(Post.id)))
    posts = [dict(_row(p, ("id", "type", "question_id", "parent_id", "title", "body", "status",
                          "is_anonymous", "anon_number", "content_warning", "score", "upvote_count",
                          "downvote_count", "created_at", "edited_at", "ip_address")),
                  category=p.category.title if p.category is not None else None,
                  best_answer_id=p.accepted_answer_id)
             for p in own_posts]
    revisions = [_row(r, ("post_id", "number", "title", "body", "tags", "reason", "created_at", "is_silent"))
                 for r in db.session.scalars(
                     select(Revision).where(Revision.editor_id == user.id).order_by(Revision.id))]
    votes = [_row(v, ("post_id", "value", "created_at"))
             for v in db.session.scalars(select(Vote).where(Vote.voter_id == user.id).order_by(Vote.id))]
    inbox = [_row(n, ("kind", "text", "post_id", "created_at", "read_at"))
             for n in db.session.scalars(
                 select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]
    follows = [_row(f, ("target_type", "target_id", "mode", "created_at"))
               for f in db.session.scalars(select(Follow).where(Follow.user_id == user.id).order_by(Follow.id))]
    flags = [_row(f, ("post_id", "reason", "note", "created_at"))
             for f in db.session.scalars(select(Flag).where(Flag.flagger_id == user.id).order_by(Flag.id))]
    reports = [_row(r, ("post_id", "note", "created_at"))
               for r in db.session.scalars(
                   select(RiskReport).where(RiskReport.reporter_id == user.id).order_by(RiskReport.id))]
    own_ids = [p.id for p in own_posts]
    about = or_(ModerationAction.user_id == user.id, ModerationAction.post_id.in_(own_ids)) \
        if own_ids else ModerationAction.user_id == user.id
    moderation = [
        {"action": a.action, "created_at": a.created_at, "post_id": a.post_id,
         "by": _moderator_name(a.actor, user),
         "reason": None if a.action in PRIVATE_REASON_ACTIONS else a.reason}
        for a in db.session.scalars(
            select(ModerationAction).where(about).options(joinedload(ModerationAction.actor))
            .order_by(ModerationAction.id))
    ]
    sanctions = [_row(s, ("reason", "starts_at", "ends_at", "lifted_at"))
                 for s in db.session.scalars(select(Sanction).where(Sanction.user_id == user.id).order_by(Sanction.id))]
    data = {
        "profile.json": profile, "posts.json": posts, "revisions.json": revisions, "votes.json": votes,
        "notifications.json": inbox, "follows.json": follows, "flags.json": flags,
        "risk-reports.json": reports, "moderation.json": moderation, "sanctions.json": sanctions,
    }
    data["credentials.json"] = _credentials(user)
    sessions = db.metadata.tables.get("member_sessions")
    if sessions is not None:
        columns = [c for c in sessions.c if c.name not in SECRET_COLUMNS]
        data["sessions.json"] = [dict(row._mapping) for row in db.session.execute(
            select(*columns).where(sessions.c.user_id == user.id).order_by(sessions.c.id))]
    return data


def _credentials(user):
    """The member's professional credential applications, with their states."""
    columns = [c.key for c in inspect(Credential).column_attrs if c.key not in SECRET_COLUMNS]
    return [_row(row, columns) for row in db.session.scalars(
        select(Credential).where(Credential.user_id == user.id).order_by(Credential.id))]


README = """Your data from {site}

Everything the forum holds about your account, as JSON files:

profile.json        your account (without your password, which is stored only as a hash)
posts.json          your questions, answers and comments, including anonymous ones
revisions.json      every version of a post that you saved
votes.json          the votes you cast
notifications.json  your notifications
follows.json        what you follow
flags.json          posts you flagged
risk-reports.json   "someone may be at risk" reports you made
moderation.json     what moderators did about you or your posts
sanctions.json      blocks on your account
credentials.json    your applications as a verified professional
sessions.json       the devices you logged in on (when the site keeps them)

Made on {made} UTC.
"""


def archive(user):
    """Return the bytes of the ZIP for ``user``."""
    from forum.services import settings

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive_file:
        archive_file.writestr("README.txt", README.format(site=settings.get("site_name"),
                                                          made=f"{utcnow():%Y-%m-%d %H:%M}"))
        for name, content in user_data(user).items():
            archive_file.writestr(name, json.dumps(content, default=_json_default, indent=2, ensure_ascii=False))
    return buffer.getvalue()


def _json_default(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)

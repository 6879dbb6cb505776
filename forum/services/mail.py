"""Email: messages are written to the outbox in the event's transaction; the worker sends them."""
import uuid
from datetime import timedelta

from flask import current_app
from flask_mailman import EmailMessage
from itsdangerous import BadSignature, URLSafeSerializer

from forum.extensions import db
from forum.models import OutboxMessage, utcnow
from forum.services import settings
from forum.urls import external_url

UNSUBSCRIBE_SALT = "forum-unsubscribe"


def _one_line(text, limit=180):
    """Header values are one line: CR, LF and other controls never reach a header."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in (text or "")).split())[:limit]


def _domain():
    return current_app.config.get("MAIL_MESSAGE_ID_DOMAIN") or "forum.invalid"


def unsubscribe_token(user_id=None, email=None):
    """A signed, non-expiring token naming one recipient (a member, or a guest's address)."""
    payload = {"u": user_id} if user_id is not None else {"e": email}
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).dumps(payload)


def read_unsubscribe_token(token):
    """Return the token's payload, or None when it was tampered with."""
    try:
        return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None


def queue_email(to_address, subject, body, category="notification", notification=None,
                unsubscribe=None, delay_minutes=0):
    """Write one email to the outbox; nothing is sent from inside a request."""
    message = OutboxMessage(
        to_address=to_address,
        subject=_one_line(f"[{settings.get('site_name')}] {subject}"),
        body=body,
        category=category,
        message_id=f"<{uuid.uuid4().hex}@{_domain()}>",
        unsubscribe_url=unsubscribe,
        notification=notification,
        not_before=utcnow() + timedelta(minutes=delay_minutes),
    )
    db.session.add(message)
    return message


def unsubscribe_url(user_id=None, email=None):
    return external_url("notifications.unsubscribe", token=unsubscribe_token(user_id, email))


def build(message):
    """Turn an outbox row into a Flask-Mailman message with its stable headers."""
    headers = {"Message-ID": message.message_id, "Auto-Submitted": "auto-generated"}
    if message.unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=current_app.config.get("MAIL_DEFAULT_SENDER"),
        to=[message.to_address],
        headers=headers,
    )

"""Notifications in the site, the email outbox, follows, and the worker's periodic jobs."""
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.types import UTCDateTime, utcnow

FOLLOW_TARGETS = ("question", "user", "category", "tag")


class Notification(db.Model):
    """Something that happened that a member (or a guest, by email) should hear about."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_read", "user_id", "read_at", "created_at"),
        Index("ix_notifications_post_id", "post_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The member told; NULL for a guest, who is told by email only.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: answer, comment, selected, approved, rejected, new-question, mention, followed-answer
    kind: Mapped[str] = mapped_column(String(30))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    #: A short, already safe line of text to show ("A new answer to …").
    text: Mapped[str] = mapped_column(String(300))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    read_at = mapped_column(UTCDateTime)

    post = relationship("Post", lazy="raise")


class OutboxMessage(db.Model):
    """An email waiting to be sent by the worker: written in the event's transaction."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "sent_at", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Private: the recipient's address.
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: notification (can be unsubscribed from) or account (verification, reset).
    category: Mapped[str] = mapped_column(String(20), default="notification", server_default="notification")
    #: Stable across retries, so a resent message is recognised as the same one.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    #: The unsubscribe URL for List-Unsubscribe (notifications only).
    unsubscribe_url: Mapped[str | None] = mapped_column(String(500))
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL"), index=True)
    #: Set when queuing, so the notification and its email are inserted in one flush.
    notification = relationship("Notification", lazy="raise")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    #: Not sent before this time (delay for notifications, back-off after failures).
    not_before = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    #: Lease: a worker claimed it at this time; another may take it after the lease.
    claimed_at = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at = mapped_column(UTCDateTime)
    #: Not emailed because the member read it in the site first, or unsubscribed.
    skipped: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class Follow(db.Model):
    """A member follows a question, a member, a category or a tag."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("user_id", "target_type", "target_id"),
        Index("ix_follows_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    #: instant or digest (daily), for new questions in followed categories and tags.
    mode: Mapped[str] = mapped_column(String(10), default="instant", server_default="instant")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Job(db.Model):
    """A periodic job run by the worker; each due run happens once, whatever the workers."""

    __tablename__ = "jobs"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    interval_seconds: Mapped[int] = mapped_column(Integer)
    next_run_at = mapped_column(UTCDateTime, nullable=False)
    last_run_at = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))

"""The one moderation queue, flags, phrase lists, sanctions and address blocks."""
from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.types import UTCDateTime, utcnow

QUEUE_KINDS = ("flag", "approval", "risk")
QUEUE_STATES = ("new", "claimed", "resolved", "escalated")
OPEN_STATES = ("new", "claimed", "escalated")


class QueueItem(db.Model):
    """Something a moderator must look at: flagged, awaiting approval, or at risk."""

    __tablename__ = "queue_items"
    __table_args__ = (
        # One open item per post and kind; flags on the same post join the open item.
        Index(
            "uq_queue_items_open_post_kind", "post_id", "kind", unique=True,
            sqlite_where=text("state != 'resolved'"), postgresql_where=text("state != 'resolved'"),
        ),
        Index("ix_queue_items_state_priority", "state", "priority", "created_at"),
        Index("ix_queue_items_post_id", "post_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    #: Higher first: risk 100+, approval 50, flags 10 + flags × 5.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    state: Mapped[str] = mapped_column(String(16), default="new", server_default="new")
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at = mapped_column(UTCDateTime)
    #: dismiss, approve, reject, hide, delete or edit.
    outcome: Mapped[str | None] = mapped_column(String(16))
    #: Moderators' notes, newest last; never shown to the post's author.
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: For risk items: low, medium or high, set by moderators.
    risk_level: Mapped[str | None] = mapped_column(String(10))
    #: Why it is queued (a matched list, "guest", "low points"); moderators only.
    cause: Mapped[str | None] = mapped_column(String(200))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    post = relationship("Post", lazy="raise")
    claimed_by = relationship("User", foreign_keys=[claimed_by_id], lazy="raise")


class Flag(db.Model):
    """A member's report that a post breaks the rules; each member flags a post once."""

    __tablename__ = "flags"
    __table_args__ = (UniqueConstraint("flagger_id", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    flagger_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: spam, rude, not-an-answer or other.
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(300))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Phrase(db.Model):
    """A pattern in one of the admin-maintained phrase lists ("blocked", later "crisis")."""

    __tablename__ = "phrases"
    __table_args__ = (UniqueConstraint("list_name", "pattern"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_name: Mapped[str] = mapped_column(String(20))
    #: Words and phrases with * wildcards, e.g. "end my life" or "spam*".
    pattern: Mapped[str] = mapped_column(String(100))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Sanction(db.Model):
    """A block from writing, with its reason and term; lifted early or run out."""

    __tablename__ = "sanctions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(String(300))
    starts_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    #: NULL: permanent.
    ends_at = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lifted_at = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AddressBlock(db.Model):
    """An IP address or range that may not write; shown to admins only."""

    __tablename__ = "address_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: An address or CIDR range, e.g. 203.0.113.7/32 or 2001:db8::/48.
    network: Mapped[str] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    #: NULL: until lifted.
    ends_at = mapped_column(UTCDateTime)


class RiskReport(db.Model):
    """"Someone may be at risk": a report about a post's author; never hides anything."""

    __tablename__ = "risk_reports"
    __table_args__ = (UniqueConstraint("reporter_id", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    #: Never shown to the post's author; NULL for a guest's report.
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

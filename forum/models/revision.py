"""Every saved version of a post, starting with revision 1 at creation."""
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.types import UTCDateTime, utcnow


class Revision(db.Model):
    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("post_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: Space-separated tag names at the time (questions only).
    tags: Mapped[str] = mapped_column(String(300), default="", server_default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    #: NULL when a guest wrote it.
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    #: A moderator's edit that shows no "edited by".
    is_silent: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: Redacted revisions are visible to moderators only (e.g. they held a phone number).
    is_redacted: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    redacted_at = mapped_column(UTCDateTime)
    redacted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    editor = relationship("User", foreign_keys=[editor_id], lazy="raise")

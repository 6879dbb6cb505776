"""Texts a member removed when deleting their account, kept privately until the purge."""
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.types import UTCDateTime, utcnow


class RemovedText(db.Model):
    """The original title and body of one post or revision, for an undo within the grace period.

    No page reads this table; logging in during the grace period puts the texts back,
    and the purge deletes the rows.
    """

    __tablename__ = "removed_texts"
    __table_args__ = (
        Index("ix_removed_texts_user_id", "user_id"),
        Index("ix_removed_texts_post_id", "post_id"),
        Index("ix_removed_texts_revision_id", "revision_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: Exactly one of post_id and revision_id is set.
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

"""Votes on posts: one per member and post, or imported votes without a voter."""
from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.types import UTCDateTime, utcnow


class Vote(db.Model):
    __tablename__ = "votes"
    __table_args__ = (
        # NULLs are distinct in unique constraints on both engines, so the rule binds
        # only votes that have a voter; imported votes without one may repeat.
        UniqueConstraint("voter_id", "post_id"),
        CheckConstraint("value IN (-1, 1)", name="value"),
        Index("ix_votes_post_id", "post_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    #: NULL for votes without a voter (imported or demo votes).
    voter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    value: Mapped[int] = mapped_column(SmallInteger)
    #: "member" for votes cast here; otherwise where an imported vote came from.
    source: Mapped[str] = mapped_column(String(20), default="member", server_default="member")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

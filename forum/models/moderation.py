"""The audit log: every moderator and admin action, written with the action itself."""
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.types import UTCDateTime, utcnow


class ModerationAction(db.Model):
    __tablename__ = "moderation_actions"
    __table_args__ = (
        Index("ix_moderation_actions_created_at", "created_at"),
        Index("ix_moderation_actions_action", "action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who acted; NULL for the system (e.g. an automatic hide).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: What was done, e.g. "hide", "edit", "close", "set-level", "settings".
    action: Mapped[str] = mapped_column(String(40))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    #: The member acted upon (a level change, a block), if any.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    #: JSON with what changed (old and new values).
    details: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    actor = relationship("User", foreign_keys=[actor_id], lazy="raise")
    user = relationship("User", foreign_keys=[user_id], lazy="raise")

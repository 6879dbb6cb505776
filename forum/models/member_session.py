"""A member's logged-in session on one device, so they can see it and end it."""
from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.types import UTCDateTime, utcnow

#: Longest user agent kept: enough to tell devices apart.
USER_AGENT_MAX = 200


class MemberSession(db.Model):
    """One login: Flask-Login's id carries its key, and the user loader refuses it once ended.

    No IP address is kept: the list is shown to the member, and no page shows addresses
    to anyone but admins.
    """

    __tablename__ = "member_sessions"
    __table_args__ = (Index("ix_member_sessions_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: SHA-256 of the random key kept in the signed session (and remember cookie).
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The member's session epoch at login: bumping it (log out everywhere) ends this too.
    epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    #: Updated at most every few minutes, not on every request.
    last_seen_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX), default="", server_default="")
    ended_at = mapped_column(UTCDateTime)

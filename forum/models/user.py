"""Members, their level and their sessions."""
from enum import IntEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.types import UTCDateTime, utcnow


class Level(IntEnum):
    """Member levels, ordered, with Question2Answer's numbers."""

    BASIC = 0
    APPROVED = 10
    EXPERT = 20
    EDITOR = 50
    MODERATOR = 80
    ADMIN = 100
    SUPER = 120

    @property
    def label(self):
        return self.name.capitalize()


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # "Top members": best first without reading every member.
        Index("ix_users_points", "points"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(30))
    #: canonical(username): NFKC + casefold, so look-alike names clash.
    username_canonical: Mapped[str] = mapped_column(String(60), unique=True)
    #: Private: shown to admins only. NULL for imported placeholder members.
    email: Mapped[str | None] = mapped_column(String(254))
    email_canonical: Mapped[str | None] = mapped_column(String(254), unique=True)
    #: NULL means the account cannot log in with a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    level: Mapped[int] = mapped_column(Integer, default=Level.BASIC, server_default="0")
    #: Cached total; always equal to a recomputation from the points scheme.
    points: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_login_at = mapped_column(UTCDateTime)
    #: When the member agreed to the processing of health information they share.
    consented_at = mapped_column(UTCDateTime)
    #: When the member proved the address is theirs; unverified accounts cannot log in.
    email_verified_at = mapped_column(UTCDateTime)
    #: JSON: which notifications the member wants by email (see services.notifications).
    notify_prefs: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    #: Where an imported or seeded member came from, for idempotent imports.
    import_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    #: Until when the member may not write (far future for a permanent block).
    blocked_until = mapped_column(UTCDateTime)
    #: What the blocked member is told.
    block_reason: Mapped[str | None] = mapped_column(String(300))
    #: "Take a break": no notification emails until then.
    break_until = mapped_column(UTCDateTime)
    #: JSON lists of muted words and muted category ids: matching posts are hidden for this member.
    muted_words: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    muted_categories: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    #: A moderator who wants to hear at once about "someone may be at risk" reports.
    risk_alerts: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: Raised to end every session at once (log out everywhere, password change).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: When the member deleted their account: hidden at once, restored by logging in
    #: within the grace period, purged after it (see services.deletion).
    deleted_at = mapped_column(UTCDateTime)
    #: What the member chose for their posts: "anonymise" or "remove".
    deletion_mode: Mapped[str | None] = mapped_column(String(10))
    #: When the purge erased the account's personal data (the row stays, pseudonymous).
    purged_at = mapped_column(UTCDateTime)

    #: The key and record of the session this member object was loaded for (not columns);
    #: set by services.member_sessions at login and by the user loader.
    session_key = None
    member_session = None
    #: Read with the member by the user loader (one query per request, not three): their
    #: unread notifications, and whether they have written three posts yet (the posting
    #: guidelines stay open on forms until then). None when not loaded that way.
    loaded_unread = None
    loaded_has_three_posts = None
    #: On a question page: (question id, the member's part in its thread), as
    #: ``thread_cache.involvement`` gives it; read with the member too.
    loaded_involvement = None

    def get_id(self):
        # The epoch is part of the id Flask-Login stores in the session and the
        # remember cookie, so bumping it invalidates both.
        return f"{self.id}.{self.session_epoch}"

    def get_session_id(self):
        """The id Flask-Login stores (login_manager.id_attribute): get_id plus the session's
        key, so ending that session's record ends the session and its remember cookie."""
        return f"{self.get_id()}.{self.session_key or ''}"

    @property
    def level_enum(self):
        # A dict lookup: permission checks ask this hundreds of times on a long thread.
        return Level._value2member_map_.get(self.level, Level.BASIC)

    def __repr__(self):
        return f"<User {self.id} {self.username!r}>"

"""Professional credentials: a member's application, the moderators' check, the badge."""
from sqlalchemy import Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.types import UTCDateTime, utcnow

#: key -> (what the member chooses, the noun on the badge: "Verified psychiatrist, UK").
CREDENTIAL_KINDS = {
    "psychiatrist": ("Psychiatrist", "psychiatrist"),
    "psychologist": ("Psychologist (clinical or counselling)", "psychologist"),
    "psychotherapist": ("Psychotherapist", "psychotherapist"),
    "counsellor": ("Counsellor", "counsellor"),
    "social-worker": ("Social worker", "social worker"),
    "mental-health-nurse": ("Mental health nurse", "mental health nurse"),
    "physician": ("GP or other physician", "physician"),
    "clinician": ("Other licensed clinician", "clinician"),
}

#: pending -> verified | rejected | withdrawn; verified -> revoked. "Expired" is not
#: stored: a verified credential lapses when its expiry date has passed.
CREDENTIAL_STATES = ("pending", "verified", "rejected", "revoked", "withdrawn")


class Credential(db.Model):
    __tablename__ = "credentials"
    __table_args__ = (
        # One application waiting at a time per member, even when two requests race.
        Index(
            "uq_credentials_one_pending", "user_id", unique=True,
            sqlite_where=text("state = 'pending'"), postgresql_where=text("state = 'pending'"),
        ),
        Index("ix_credentials_user_state", "user_id", "state", "expires_on"),
        Index("ix_credentials_state_created", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: A key of CREDENTIAL_KINDS.
    kind: Mapped[str] = mapped_column(String(30))
    #: Private (the member and moderators only), like the issuing body and the register link.
    registration_number: Mapped[str] = mapped_column(String(40))
    issuing_body: Mapped[str] = mapped_column(String(120))
    #: Public, on the badge: "UK", "Ontario, Canada".
    jurisdiction: Mapped[str] = mapped_column(String(40))
    register_url: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(12), default="pending", server_default="pending")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    #: When the state last changed (decided, withdrawn, revoked).
    updated_at = mapped_column(UTCDateTime)
    #: The moderator who verified or rejected it.
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_on = mapped_column(Date)
    #: The badge counts while expires_on >= today (UTC); no job needed for it to lapse.
    expires_on = mapped_column(Date)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Why it was rejected or revoked; the member sees it.
    reason: Mapped[str | None] = mapped_column(String(300))

    user = relationship("User", foreign_keys=[user_id], lazy="raise")
    reviewer = relationship("User", foreign_keys=[reviewer_id], lazy="raise")
    revoked_by = relationship("User", foreign_keys=[revoked_by_id], lazy="raise")

    @property
    def kind_label(self):
        return CREDENTIAL_KINDS.get(self.kind, ("Clinician", "clinician"))[0]

    @property
    def badge_text(self):
        """Return the public badge: "Verified psychiatrist, UK"."""
        noun = CREDENTIAL_KINDS.get(self.kind, ("", "clinician"))[1]
        return f"Verified {noun}, {self.jurisdiction}"

    def is_current(self, today):
        """Tell whether the badge counts on ``today``: verified and not past its expiry."""
        return self.state == "verified" and self.expires_on is not None and self.expires_on >= today

    def __repr__(self):
        return f"<Credential {self.id} user={self.user_id} {self.kind} {self.state}>"

"""A member's "Download my data" archive, built by the worker and kept for a week."""
from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from forum.extensions import db
from forum.models.types import UTCDateTime, utcnow

EXPORT_STATES = ("pending", "ready", "failed")


class DataExport(db.Model):
    __tablename__ = "data_exports"
    __table_args__ = (Index("ix_data_exports_user_id", "user_id"),
                      Index("ix_data_exports_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: pending (the worker will build it), ready, or failed.
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    ready_at = mapped_column(UTCDateTime)
    #: After this the link answers 410 and a periodic job deletes the row.
    expires_at = mapped_column(UTCDateTime)
    size: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The ZIP itself, in the database so every app server can hand it out.
    content = deferred(mapped_column(LargeBinary))

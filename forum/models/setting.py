"""Site settings stored as JSON values under a key."""
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db


class Setting(db.Model):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: JSON text; typed and defaulted by services.settings.
    value: Mapped[str] = mapped_column(Text)

"""Tags and the links between questions and tags."""
from sqlalchemy import Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db

MAX_TAGS = 5

post_tags = Table(
    "post_tags",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Canonical form: NFKC + casefold, letters, digits and hyphens.
    name: Mapped[str] = mapped_column(String(40), unique=True)
    #: Visible questions carrying the tag.
    question_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def __repr__(self):
        return f"<Tag {self.name}>"

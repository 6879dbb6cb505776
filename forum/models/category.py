"""Categories: a hierarchy of up to four levels."""
from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db

MAX_DEPTH = 4


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    title: Mapped[str] = mapped_column(String(80))
    #: Globally unique, so /categories/<slug> needs no parent path.
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Visible questions in this category and all its sub-categories.
    question_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    parent = relationship("Category", remote_side=[id], back_populates="children")
    children = relationship(
        "Category", back_populates="parent", order_by="Category.position"
    )

    def __repr__(self):
        return f"<Category {self.slug}>"

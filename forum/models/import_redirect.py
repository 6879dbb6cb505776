"""Where imported things came from: old addresses that redirect here, and import bookkeeping."""
from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db

#: What an old address points at: a post, a member, a category or a tag.
REDIRECT_KINDS = ("post", "user", "category", "tag")


class ImportRedirect(db.Model):
    """One imported thing: its key in the source, and the old path that leads to it."""

    __tablename__ = "import_redirects"
    __table_args__ = (Index("ix_import_redirects_kind_old_path", "kind", "old_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Where it came from ("q2a:<database>:category:<id>"), so a re-run adds nothing twice.
    import_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: The path on the old site without its prefix: a post id, a handle, "parent/child", a tag.
    old_path: Mapped[str] = mapped_column(String(300))
    #: The id of the post, member, category or tag here (no foreign key: kinds differ).
    target_id: Mapped[int] = mapped_column(Integer)

    def __repr__(self):
        return f"<ImportRedirect {self.kind} {self.old_path!r} -> {self.target_id}>"

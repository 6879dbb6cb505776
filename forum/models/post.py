"""Questions, answers and comments: one table, single-table inheritance."""
import json

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.tag import post_tags
from forum.models.types import UTCDateTime, utcnow

STATUSES = ("visible", "queued", "hidden", "deleted")


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        CheckConstraint(
            "status IN ('visible', 'queued', 'hidden', 'deleted')", name="status"
        ),
        CheckConstraint("type IN ('question', 'answer', 'comment')", name="type"),
        # Lists: newest visible questions, overall and per category.
        Index("ix_posts_type_status_created", "type", "status", "created_at", "id"),
        Index("ix_posts_category_status_created", "category_id", "status", "created_at", "id"),
        # The thread: every answer and comment of a question in one query (three
        # equality columns, so SQLite picks it even before ANALYZE has run).
        Index("ix_posts_question_type_status", "question_id", "type", "status", "created_at"),
        # Foreign keys to posts, so deleting or merging a post never scans the table.
        Index("ix_posts_accepted_answer_id", "accepted_answer_id"),
        # Partial: nearly every post has none, and SQLite's statistics count all those NULLs
        # as one value, which made it scan the table rather than use a full index.
        Index("ix_posts_duplicate_of_id", "duplicate_of_id", sqlite_where=text("duplicate_of_id IS NOT NULL"),
              postgresql_where=text("duplicate_of_id IS NOT NULL")),
        Index("ix_posts_merged_into_id", "merged_into_id", sqlite_where=text("merged_into_id IS NOT NULL"),
              postgresql_where=text("merged_into_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    #: The thread's question, for answers and comments; NULL on questions.
    question_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    #: What a comment comments on (question or answer); an answer's question.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    #: NULL for guests.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: A guest's chosen display name, if any.
    guest_name: Mapped[str | None] = mapped_column(String(40))
    #: Private: used only to send the guest notifications; never rendered.
    guest_email: Mapped[str | None] = mapped_column(String(254))
    is_anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: For a member posting anonymously: their alias number in this thread ("Anonymous 3").
    anon_number: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    #: Sanitised HTML from markup.render_markdown(body); the only HTML pages print.
    body_html: Mapped[str] = mapped_column(Text, default="")
    body_renderer_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    score: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    upvote_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    downvote_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Visible answers (questions only).
    answer_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Visible comments directly on this post.
    comment_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    view_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Distinct members who flagged the post.
    flag_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    accepted_answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", use_alter=True, name="fk_posts_accepted_answer_id_posts")
    )
    status: Mapped[str] = mapped_column(String(16), default="visible", server_default="visible")
    #: Why a question was closed: duplicate, off-topic, needs-detail or other.
    closed_reason: Mapped[str | None] = mapped_column(String(32))
    #: A moderator's note on closing (shown with the reason).
    closed_note: Mapped[str | None] = mapped_column(String(300))
    closed_at = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: For questions closed as duplicates: the original.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    #: For questions merged into another: where their URL now leads.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    #: Who hid or deleted the post, when and why (status says which).
    hidden_at = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hidden_reason: Mapped[str | None] = mapped_column(String(300))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    edited_at = mapped_column(UTCDateTime)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Newest visible activity in the thread (questions): the post, an answer, a comment.
    last_activity_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    #: One-time token from the form, so a double-clicked submit creates one post.
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: An author's content warning; the body is shown collapsed behind it.
    content_warning: Mapped[str | None] = mapped_column(String(100))
    #: The post matched the crisis list: it is shown with the crisis resources.
    show_resources: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: Where an imported or seeded post came from ("counselchat:q:<slug>"), so
    #: imports can be re-run without adding anything twice.
    import_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    #: Private: the poster's address, for admins only.
    ip_address: Mapped[str | None] = mapped_column(String(45))
    #: JSON: the licence attribution an imported post must show (Stack Exchange's CC BY-SA).
    attribution: Mapped[str | None] = mapped_column(Text)

    author = relationship("User", foreign_keys=[author_id], lazy="raise")
    edited_by = relationship("User", foreign_keys=[edited_by_id], lazy="raise")
    category = relationship("Category", lazy="raise")

    __mapper_args__ = {"polymorphic_on": "type", "polymorphic_abstract": True}

    @property
    def is_visible(self):
        return self.status == "visible"

    @property
    def attribution_info(self):
        """The attribution as a dict (site, url, author, author_url, license, license_url), or None."""
        return json.loads(self.attribution) if self.attribution else None

    def __repr__(self):
        return f"<{type(self).__name__} {self.id}>"


class Question(Post):
    __mapper_args__ = {"polymorphic_identity": "question"}

    tags = relationship("Tag", secondary=post_tags, lazy="raise", order_by="Tag.name")


class Answer(Post):
    __mapper_args__ = {"polymorphic_identity": "answer"}


class Comment(Post):
    __mapper_args__ = {"polymorphic_identity": "comment"}

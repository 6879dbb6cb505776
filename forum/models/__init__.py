"""All models, imported so SQLAlchemy and Alembic see every table."""
from forum.models.category import MAX_DEPTH, Category
from forum.models.credential import CREDENTIAL_KINDS, CREDENTIAL_STATES, Credential
from forum.models.deletion import RemovedText
from forum.models.export import EXPORT_STATES, DataExport
from forum.models.import_redirect import REDIRECT_KINDS, ImportRedirect
from forum.models.member_session import MemberSession
from forum.models.moderation import ModerationAction
from forum.models.notification import FOLLOW_TARGETS, Follow, Job, Notification, OutboxMessage
from forum.models.post import STATUSES, Answer, Comment, Post, Question
from forum.models.queue import (
    OPEN_STATES,
    QUEUE_KINDS,
    QUEUE_STATES,
    AddressBlock,
    Flag,
    Phrase,
    QueueItem,
    RiskReport,
    Sanction,
)
from forum.models.revision import Revision
from forum.models.setting import Setting
from forum.models.tag import MAX_TAGS, Tag, post_tags
from forum.models.types import UTCDateTime, utcnow
from forum.models.user import Level, User
from forum.models.vote import Vote

__all__ = [
    "AddressBlock", "Answer", "CREDENTIAL_KINDS", "CREDENTIAL_STATES", "Credential", "FOLLOW_TARGETS", "Follow", "Job", "Notification", "OutboxMessage", "Category", "Flag", "OPEN_STATES", "Phrase", "QUEUE_KINDS",
    "QUEUE_STATES", "QueueItem", "RiskReport", "Sanction", "Comment", "Level", "MAX_DEPTH", "MAX_TAGS", "ModerationAction", "Post",
    "Question", "Revision", "STATUSES", "Setting", "Tag", "UTCDateTime", "User",
    "Vote", "post_tags", "utcnow", "RemovedText", "DataExport", "EXPORT_STATES",
    "ImportRedirect", "REDIRECT_KINDS",
    "MemberSession",
]

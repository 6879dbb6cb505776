"""The periodic jobs the worker runs: view counts, digests, upkeep of the database and its search index."""
from datetime import timedelta

from sqlalchemy import select

from forum.extensions import db
from forum.models import Follow, Question, User, post_tags, utcnow
from forum.services import mail, settings, viewcounts
from forum.services.worker import JOBS, job
from forum.urls import external_url


def flush_views():
    viewcounts.flush_views()


def send_digests():
    """One email a day per member with digest follows: new questions in those categories and tags."""
    since = utcnow() - timedelta(days=1)
    rows = db.session.execute(
        select(Follow, User).join(User, User.id == Follow.user_id).where(Follow.mode == "digest")
    ).all()
    by_user = {}
    for follow_row, user in rows:
        by_user.setdefault(user, []).append(follow_row)
    for user, follows in by_user.items():
        if not user.email or user.email_verified_at is None or user.deleted_at is not None:
            continue
        categories = [f.target_id for f in follows if f.target_type == "category"]
        tags = [f.target_id for f in follows if f.target_type == "tag"]
        query = select(Question).where(Question.status == "visible", Question.created_at >= since)
        conditions = []
        if categories:
            conditions.append(Question.category_id.in_(categories))
        if tags:
            conditions.append(Question.id.in_(select(post_tags.c.post_id).where(post_tags.c.tag_id.in_(tags))))
        if not conditions:
            continue
        from sqlalchemy import or_

        questions = list(db.session.scalars(query.where(or_(*conditions)).order_by(Question.created_at).limit(50)))
        if not questions:
            continue
        lines = [f"New questions on {settings.get('site_name')} in the last day:", ""]
        lines += [f"- {q.title}\n  {external_url('questions.show', question_id=q.id)}" for q in questions]
        mail.queue_email(user.email, f"{len(questions)} new question{'' if len(questions) == 1 else 's'} for you", "\n".join(lines),
                         unsubscribe=mail.unsubscribe_url(user_id=user.id))


def purge_ip_addresses(batch=1000):
    """Erase posters' IP addresses older than the retention period (privacy by default).

    In batches of posts in id order, each locked first (README, "Row locks"): one UPDATE
    over them all would lock them in the order the table happens to hold them, an answer
    before its question, against a comment locking the question and then the answer.
    """
    from sqlalchemy import select, update

    from forum.models import Post
    from forum.services import row_locks

    cutoff = utcnow() - timedelta(days=settings.get("ip_retention_days"))
    due = select(Post.id).where(Post.ip_address.is_not(None), Post.created_at < cutoff).order_by(Post.id).limit(batch)
    while ids := row_locks.lock_rows(Post, db.session.scalars(due)):
        db.session.execute(update(Post).where(Post.id.in_(ids)).values(ip_address=None))


def optimize_database():
    """Refresh the planner's statistics, so pages keep using their indexes as the data grows."""
    from sqlalchemy import text

    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("PRAGMA optimize"))
    else:
        db.session.execute(text("ANALYZE"))


def build_data_exports():
    """Build the "Download my data" archives members asked for."""
    from forum.services import exports

    exports.build_pending()


def delete_expired_exports():
    from forum.services import exports

    exports.delete_expired()


def purge_deleted_accounts():
    """Erase the personal data of accounts deleted longer ago than the grace period."""
    from forum.services import deletion

    deletion.purge_due()


def prune_member_sessions():
    """Forget session records that can never be used again."""
    from forum.services import member_sessions

    member_sessions.prune()


def merge_search_index():
    """Merge the SQLite full-text index's new segments (a no-op on PostgreSQL)."""
    from forum.services import search

    search.merge_index()


def register():
    """Register the jobs (idempotent); later features add theirs here."""
    if "flush-views" not in JOBS:
        job("flush-views", 60)(flush_views)
        job("daily-digest", 24 * 3600)(send_digests)
        job("optimize-database", 24 * 3600)(optimize_database)
        job("purge-ip-addresses", 24 * 3600)(purge_ip_addresses)
    if "build-data-exports" not in JOBS:
        job("build-data-exports", 60)(build_data_exports)
        job("delete-expired-exports", 3600)(delete_expired_exports)
        job("purge-deleted-accounts", 24 * 3600)(purge_deleted_accounts)
    if "prune-member-sessions" not in JOBS:
        job("prune-member-sessions", 24 * 3600)(prune_member_sessions)
    if "merge-search-index" not in JOBS:
        job("merge-search-index", 60)(merge_search_index)

"""Discovery: ranked lists (hot, votes, answers), the sitemap's questions, and robots.txt's rules."""
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from forum.extensions import db
from forum.models import Question
from forum.models.types import as_utc
from forum.services import settings
from forum.services.questions import QuestionPage

#: The sitemap protocol's limit of URLs per file.
SITEMAP_MAX_URLS = 50_000
#: Paths crawlers are asked to skip: private pages, and search results (endless, thin).
PRIVATE_PATHS = ("/admin", "/moderation", "/account", "/search")


def _public():
    return (Question.status == "visible", Question.merged_into_id.is_(None))


def sitemap_part_count(per_file=SITEMAP_MAX_URLS):
    """Return how many sitemap files the public questions need (at least one)."""
    total = db.session.scalar(select(func.count(Question.id)).where(*_public()))
    return max(1, -(-total // per_file))


def sitemap_entries(part, per_file=SITEMAP_MAX_URLS):
    """Return (question, lastmod) for sitemap file ``part`` (1-based), oldest question first.

    ``lastmod`` is the newest of the last visible activity and the last edit.
    """
    rows = db.session.execute(
        select(Question.id, Question.title, Question.last_activity_at, Question.edited_at)
        .where(*_public()).order_by(Question.id)
        .limit(per_file).offset((part - 1) * per_file)
    ).all()
    return [(row, max(as_utc(t) for t in (row.last_activity_at, row.edited_at) if t is not None))
            for row in rows]


# --- Ranked lists: hot, most votes, most answers ----------------------------------------

RANKINGS = ("hot", "votes", "answers")


def _days(column):
    """Days since the epoch, in SQL, for ordering by newness."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", column) / 86400.0
    return func.julianday(column)


def hot_score():
    """Question2Answer's hotness: weighted newness (days), answers, net votes and views / 100."""
    weight = {name: settings.get(f"hot_weight_{name}") for name in ("age", "answers", "votes", "views")}
    return (weight["age"] * _days(Question.created_at) + weight["answers"] * Question.answer_count
            + weight["votes"] * Question.score + weight["views"] * Question.view_count / 100.0)


def ranked_questions(ranking, page=1):
    """Return a QuestionPage of visible questions: hot, most votes or most answers first."""
    per_page = settings.get("questions_per_page")
    page = max(1, page)
    order = {
        "hot": (hot_score().desc(),),
        "votes": (Question.score.desc(),),
        "answers": (Question.answer_count.desc(),),
    }[ranking]
    rows = list(db.session.scalars(
        select(Question).where(Question.status == "visible")
        .options(joinedload(Question.author), joinedload(Question.category), selectinload(Question.tags))
        .order_by(*order, Question.created_at.desc(), Question.id.desc())
        .limit(per_page + 1).offset((page - 1) * per_page)
    ))
    return QuestionPage(questions=rows[:per_page], page=page, has_next=len(rows) > per_page)

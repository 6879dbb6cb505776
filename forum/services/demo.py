"""Load a demo data set (CounselChat, or the built-in one) through the posting services."""
import hashlib
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, Question, User, utcnow
from forum.services import answers, categories, points, questions, votes
from forum.services.posting import Guest
from forum.text import canonical

COUNSELCHAT_CSV = Path("data") / "counselchat" / "counsel_chat_20200325.csv"


def _digest(*parts):
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def load_demo_data(shared_dir):
    """Return CounselChat from ``shared_dir`` when present, else the built-in demo."""
    path = Path(shared_dir or "") / COUNSELCHAT_CSV
    if shared_dir and path.is_file():
        from forum.demo.counselchat import load_counselchat

        return "counselchat", load_counselchat(path)
    from forum.demo.builtin import load_builtin

    return "builtin", load_builtin()


def has_questions():
    return db.session.scalar(select(Question.id).limit(1)) is not None


def _member(source, demo_member):
    """Return the demo member, creating them once. They cannot log in."""
    # The source key (for CounselChat, a therapist's profile URL) is stored only as
    # a hash, so no real name or URL ends up in the database.
    key = f"{source}:member:{_digest(demo_member.key)}"
    user = db.session.scalar(select(User).where(User.import_key == key))
    if user is None:
        user = User(username=demo_member.username, username_canonical=canonical(demo_member.username),
                    import_key=key, password_hash=None, points=points.starting_points())
        db.session.add(user)
        db.session.flush()
    return user


def seed(source, data, progress=None):
    """Add what is missing of ``data``; running it twice adds nothing twice.

    :return: a dict of counts (questions, answers, skipped).
    """
    stats = {"categories": 0, "members": 0, "questions": 0, "answers": 0, "skipped": 0}
    problems = []
    by_slug = {}
    for item in data.categories:
        category = categories.get_by_slug(item.slug)
        if category is None:
            category = categories.create_category(item.title, slug=item.slug)
            stats["categories"] += 1
        by_slug[item.slug] = category
    members = {}
    for item in data.members:
        before = db.session.scalar(select(User.id).where(User.import_key == f"{source}:member:{_digest(item.key)}"))
        members[item.key] = _member(source, item)
        stats["members"] += before is None
    existing = set(db.session.scalars(select(Post.import_key).where(Post.import_key.like(f"{source}:%"))))
    now = utcnow()
    total = len(data.questions)
    for index, item in enumerate(data.questions):
        # Spread the demo over the past weeks, oldest first, so lists look alive.
        asked_at = now - timedelta(hours=3 * (total - index) + 1)
        key = f"{source}:q:{item.key}"
        if key in existing:
            question = db.session.scalar(select(Question).where(Question.import_key == key))
        else:
            try:
                with db.session.begin_nested():
                    question = questions.ask_question(
                        None, item.title, item.body, category=by_slug.get(item.category),
                        tag_text=" ".join(item.tags), guest=Guest(), created_at=asked_at,
                        import_key=key,
                    )
            except Exception as error:  # noqa: BLE001 - a bad row is counted, explained and skipped
                stats["skipped"] += 1
                problems.append(f"question {item.key}: {_describe(error)}")
                continue
            question.view_count = item.views
            stats["questions"] += 1
        for position, answer in enumerate(item.answers):
            answer_key = f"{source}:a:{_digest(item.key, answer.member_key, answer.body)}"
            if answer_key in existing:
                continue
            existing.add(answer_key)
            answered_at = min(asked_at + timedelta(minutes=20 * (position + 1)), now)
            try:
                with db.session.begin_nested():
                    posted = answers.post_answer(
                        question, members[answer.member_key], answer.body,
                        created_at=answered_at, import_key=answer_key,
                    )
                    # The source's upvote counts become votes without a voter.
                    votes.add_imported_votes(posted, answer.upvotes, source=source)
            except Exception as error:  # noqa: BLE001
                stats["skipped"] += 1
                problems.append(f"answer to {item.key}: {_describe(error)}")
                continue
            stats["answers"] += 1
        if progress:
            progress(index + 1, total)
    db.session.flush()
    stats["problems"] = problems
    return stats


def _describe(error):
    errors = getattr(error, "errors", None)
    if errors:
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
    return f"{type(error).__name__}: {str(error)[:200]}"

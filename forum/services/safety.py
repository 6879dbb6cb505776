"""Safety for a community in distress: crisis resources, crisis-aware posting, risk reports,
content warnings, muting and taking a break."""
import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from forum.extensions import db
from forum.models import Level, RiskReport, User, utcnow
from forum.services import audit, phrases, queue, settings
from forum.services.errors import ValidationFailed

RESOURCES_FILE = Path(__file__).resolve().parent.parent / "data" / "crisis_resources.json"
RISK_PRIORITY = {"low": 120, "medium": 150, "high": 200}
BREAKS = {"day": timedelta(days=1), "week": timedelta(weeks=1), "month": timedelta(days=30)}


def default_resources_text():
    return RESOURCES_FILE.read_text(encoding="utf-8")


def resources():
    """The crisis services by country, as the admins keep them."""
    try:
        items = json.loads(settings.get("crisis_resources") or default_resources_text())
    except ValueError:
        items = json.loads(default_resources_text())
    return [item for item in items if isinstance(item, dict) and item.get("service")]


def check_resources(text):
    """Raise ValueError with the reason unless ``text`` is a valid resources list."""
    try:
        items = json.loads(text)
    except ValueError as error:
        raise ValueError(f"This is not valid JSON: {error.msg} (line {error.lineno}).") from None
    if not isinstance(items, list) or not items:
        raise ValueError("Give a list of services.")
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) and item.get(k).strip()
                                                 for k in ("country", "service", "contact", "checked")):
            raise ValueError(f"Entry {number} needs country, service, contact and checked (a date).")


def crisis_matches(*texts):
    return phrases.find("crisis", *texts)


def unsafe_matches(*texts):
    return phrases.find("unsafe", *texts)


def flag_crisis(post):
    """A new or edited post in crisis words: show resources with it, and put it first in the queue."""
    matched = crisis_matches(post.title or "", post.body)
    if not matched:
        return False
    post.show_resources = True
    queue.enqueue("risk", post, cause="crisis words: " + ", ".join(matched[:5]), priority=RISK_PRIORITY["medium"])
    return True


def report_risk(reporter, post, note=None):
    """"Someone may be at risk": queue a risk item at the top; tell the author kindly and privately.

    :raise ValidationFailed: for a second report by the same member on the same post.
    """
    note = " ".join((note or "").split())[:500] or None
    if reporter is not None:
        try:
            with db.session.begin_nested():
                db.session.add(RiskReport(post_id=post.id, reporter_id=reporter.id, note=note))
                db.session.flush()
        except IntegrityError:
            raise ValidationFailed("You have already told the moderators about this post. Thank you.") from None
    else:
        db.session.add(RiskReport(post_id=post.id, reporter_id=None, note=note))
    item = queue.enqueue("risk", post, cause="someone may be at risk", priority=RISK_PRIORITY["medium"])
    if item.risk_level is None:
        item.risk_level = "medium"
    from forum.services import notifications

    if post.author_id is not None and (reporter is None or reporter.id != post.author_id):
        notifications.notify_member(
            db.session.get(User, post.author_id), "support", post,
            "Someone in the community is thinking of you and wanted to check you're okay. If things "
            "feel hard right now, the “Need help now?” page lists people you can talk to, any time.",
            email_kind="moderation",
        )
    for moderator in risk_responders():
        notifications.notify_member(moderator, "risk", post, "A “someone may be at risk” report needs a look",
                                    email_kind="moderation", immediate=True)
    db.session.flush()
    return item


def risk_responders():
    """Moderators who asked for risk alerts; all moderators when nobody did."""
    moderators = list(db.session.scalars(select(User).where(User.level >= int(Level.MODERATOR))))
    chosen = [m for m in moderators if m.risk_alerts]
    return chosen or moderators


def set_risk_alerts(user, wanted):
    """A moderator chooses to hear at once about risk reports (others can't opt in)."""
    user.risk_alerts = bool(wanted) and user.level >= int(Level.MODERATOR)
    db.session.flush()


def set_risk_level(moderator, item, level):
    if level not in RISK_PRIORITY:
        raise ValidationFailed("Choose low, medium or high.")
    item.risk_level = level
    item.priority = RISK_PRIORITY[level]
    audit.record(moderator, "risk-level", post=item.post, item=item.id, level=level)
    db.session.flush()


# --- Muting and breaks ------------------------------------------------------------

def muted_words(user):
    try:
        return [w for w in json.loads(user.muted_words or "[]") if isinstance(w, str)]
    except ValueError:
        return []


def muted_categories(user):
    try:
        return [c for c in json.loads(user.muted_categories or "[]") if isinstance(c, int)]
    except ValueError:
        return []


def set_muting(user, words_text, category_ids):
    words = []
    for line in (words_text or "").replace(",", "\n").splitlines():
        word = " ".join(line.split())
        if not word:
            continue
        if problem := phrases.pattern_problem(word):
            raise ValidationFailed(problem, errors={"muted_words": [f"“{word}”: {problem}"]})
        if phrases.fold(word) not in words:
            words.append(phrases.fold(word))
    user.muted_words = json.dumps(words[:100])
    user.muted_categories = json.dumps(sorted(set(category_ids))[:100])
    db.session.flush()


def mute_filter(user):
    """Return a function telling whether a post is muted for ``user`` (None when nothing is muted)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    words, categories = muted_words(user), set(muted_categories(user))
    if not words and not categories:
        return None
    regex = phrases._compiled(tuple(words)) if words else None

    def is_muted(post):
        if categories and post.category_id in categories:
            return True
        return bool(regex and regex.search(phrases.fold(f"{post.title or ''} {post.body}")))

    return is_muted


def take_a_break(user, length):
    if length == "end":
        user.break_until = None
    elif length in BREAKS:
        user.break_until = utcnow() + BREAKS[length]
    else:
        raise ValidationFailed("Choose how long.")
    db.session.flush()

"""The one phrase matcher: admin-maintained lists of words and phrases with * wildcards.

Matching is on word boundaries, case- and accent-insensitive after NFKC. The
"blocked" list holds posts for approval; the safety feature adds its own lists
here rather than a second matcher.
"""
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select

from forum.extensions import db
from forum.models import Phrase
from forum.services import audit
from forum.services.errors import ValidationFailed

LISTS = {
    "blocked": "Blocked words (posts are held for approval)",
    "crisis": "Crisis phrases (the author sees crisis resources; the post goes first in the queue)",
    "unsafe": "Unsafe content: method or means detail, encouragement (posts are held for approval)",
}
DEFAULTS_FILE = Path(__file__).resolve().parent.parent / "data" / "safety_phrases.json"
PATTERN_MAX = 100
_ALLOWED = re.compile(r"^[\w\s'’*-]+$", re.UNICODE)


def fold(text):
    """Normalise for matching: NFKC, casefold, accents removed."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).replace("’", "'")


def pattern_problem(pattern):
    """Return why a pattern is invalid, or None."""
    pattern = " ".join((pattern or "").split())
    if not pattern:
        return "Enter a word or phrase."
    if len(pattern) > PATTERN_MAX:
        return f"Keep patterns under {PATTERN_MAX} characters."
    if not _ALLOWED.match(pattern):
        return "Use letters, digits, spaces, hyphens, apostrophes and * only."
    for word in pattern.split():
        if not re.search(r"[^\W_]", word, re.UNICODE):
            return f"“{word}” has no letters or digits; a * must stand beside some."
        if "**" in word:
            return "Use a single * for “any letters”."
    return None


def _word_regex(word):
    parts = [re.escape(part) for part in fold(word).split("*")]
    return r"\w*".join(parts)


def to_regex(pattern):
    """Compile a pattern: words joined by any whitespace, bounded by non-word characters."""
    words = " ".join(pattern.split()).split(" ")
    body = r"\s+".join(_word_regex(word) for word in words)
    return rf"(?<!\w){body}(?!\w)"


@lru_cache(maxsize=64)
def _compiled(patterns):
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{to_regex(p)})" for p in patterns), re.UNICODE)


def patterns(list_name):
    return tuple(db.session.scalars(
        select(Phrase.pattern).where(Phrase.list_name == list_name).order_by(Phrase.pattern)
    ))


def find(list_name, *texts):
    """Return the distinct phrases of ``list_name`` found in the texts (folded)."""
    regex = _compiled(patterns(list_name))
    if regex is None:
        return []
    found = []
    for text in texts:
        for match in regex.finditer(fold(text)):
            if match.group(0) not in found:
                found.append(match.group(0))
    return found


def add_phrase(actor, list_name, pattern):
    """Add a pattern to a list.

    :raise ValidationFailed: for an invalid pattern (with the reason) or a duplicate.
    """
    if list_name not in LISTS:
        raise ValidationFailed("Unknown list.", errors={"pattern": ["Choose one of the lists."]})
    pattern = " ".join((pattern or "").split())
    if problem := pattern_problem(pattern):
        raise ValidationFailed(problem, errors={"pattern": [problem]})
    pattern = fold(pattern)
    if pattern in patterns(list_name):
        raise ValidationFailed("Already listed.", errors={"pattern": ["That pattern is already on the list."]})
    db.session.add(Phrase(list_name=list_name, pattern=pattern))
    audit.record(actor, "phrase-add", list=list_name, pattern=pattern)
    db.session.flush()


def remove_phrase(actor, phrase):
    audit.record(actor, "phrase-remove", list=phrase.list_name, pattern=phrase.pattern)
    db.session.delete(phrase)
    db.session.flush()


def all_phrases():
    return list(db.session.scalars(select(Phrase).order_by(Phrase.list_name, Phrase.pattern)))


def install_defaults():
    """Add the reviewed default crisis and unsafe phrases that are missing (as a new database has)."""
    lists = json.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    added = 0
    for list_name in ("crisis", "unsafe"):
        present = set(patterns(list_name))
        for pattern in lists[list_name]:
            if fold(pattern) not in present:
                db.session.add(Phrase(list_name=list_name, pattern=fold(pattern)))
                added += 1
    db.session.flush()
    return added

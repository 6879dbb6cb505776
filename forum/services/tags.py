"""Tags: parsing what askers type, and keeping question counts right."""
import re

from sqlalchemy import select, update

from forum.extensions import db
from forum.models import MAX_TAGS, Tag
from forum.text import canonical

TAG_MAX_LENGTH = 40
_SEPARATORS = re.compile(r"[\s,;]+")
_TAG_RE = re.compile(r"^[^\W_](?:[\w-]*[^\W_])?$", re.UNICODE)


def normalise_tag(raw):
    """Return the canonical tag (NFKC + casefold; letters, digits and hyphens)."""
    return canonical(raw).strip("-")


def parse_tags(raw):
    """Split typed tags into canonical names.

    :return: (names, problems) — names keep the typed order without duplicates.
    """
    names, problems = [], []
    for part in _SEPARATORS.split(raw or ""):
        if not part:
            continue
        name = normalise_tag(part)
        if not name:
            continue
        if len(name) > TAG_MAX_LENGTH:
            problems.append(f"“{part[:20]}…” is too long for a tag (at most {TAG_MAX_LENGTH}).")
        elif "_" in name or not _TAG_RE.match(name):
            problems.append(f"“{part}”: tags use letters, digits and hyphens only.")
        elif name not in names:
            names.append(name)
    if len(names) > MAX_TAGS:
        problems.append(f"Use at most {MAX_TAGS} tags.")
    return names, problems


def get_or_create_tags(names):
    """Return Tag rows for the names, creating the missing ones."""
    if not names:
        return []
    existing = {tag.name: tag for tag in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    tags = []
    for name in names:
        tag = existing.get(name)
        if tag is None:
            tag = Tag(name=name, question_count=0)
            db.session.add(tag)
            existing[name] = tag
        tags.append(tag)
    db.session.flush()
    return tags


def change_question_counts(tags, delta):
    """Move the tags' visible-question counts by ``delta`` in SQL."""
    ids = sorted(tag.id for tag in tags)
    if ids:
        db.session.execute(select(Tag.id).where(Tag.id.in_(ids)).order_by(Tag.id).with_for_update(key_share=True))
        db.session.execute(
            update(Tag).where(Tag.id.in_(ids)).values(question_count=Tag.question_count + delta)
        )


def get_tag_or_none(name):
    """Return the tag called ``name`` (compared canonically), or None."""
    name = normalise_tag(name)
    if len(name) > TAG_MAX_LENGTH or not _TAG_RE.match(name) or "_" in name:
        return None
    return db.session.scalar(select(Tag).where(Tag.name == name))

"""Tags: parsing what askers type, and keeping question counts right."""
import re

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from forum.extensions import db
from forum.models import MAX_TAGS, Tag
from forum.services import row_locks
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
    """Return Tag rows for the names, creating the missing ones.

    Two questions may bring the same new tag at once: the second insert waits for the
    first and then adds nothing (ON CONFLICT DO NOTHING), and both get the one row.
    """
    if not names:
        return []
    existing = {tag.name: tag for tag in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    missing = [name for name in dict.fromkeys(names) if name not in existing]
    if missing:
        dialect = db.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        db.session.execute(insert(Tag).values([{"name": name, "question_count": 0} for name in missing])
                           .on_conflict_do_nothing(index_elements=["name"]))
        existing.update((tag.name, tag) for tag in db.session.scalars(select(Tag).where(Tag.name.in_(missing))))
    return [existing[name] for name in names]


def lock(tags):
    """Lock the tags' rows in id order (a retag moves some down and others up: locked
    together first, two retags in opposite directions wait instead of deadlocking)."""
    return row_locks.lock_rows(Tag, [tag.id for tag in tags])


def change_question_counts(tags, delta):
    """Move the tags' visible-question counts by ``delta`` in SQL."""
    ids = lock(tags)
    if ids:
        db.session.execute(
            update(Tag).where(Tag.id.in_(ids)).values(question_count=Tag.question_count + delta)
        )


def get_tag_or_none(name):
    """Return the tag called ``name`` (compared canonically), or None."""
    name = normalise_tag(name)
    if len(name) > TAG_MAX_LENGTH or not _TAG_RE.match(name) or "_" in name:
        return None
    return db.session.scalar(select(Tag).where(Tag.name == name))

"""What the importers share: the report, import-key look-ups, batched inserts and the final recount.

Rows go in by Core inserts, one committed batch at a time, each keyed by an
``import_key``, so an interrupted run continues where it stopped and a re-run
adds nothing twice. Counters and points are then set from the rows by the bench
loader's set-based recounts (``services.bulk``), so ``flask forum check`` passes.
"""
import multiprocessing
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import bindparam, func, insert, select, update

from forum.extensions import db
from forum.markup import RENDERER_VERSION, render_markdown
from forum.models import ImportRedirect, Post, Revision, Tag, User, post_tags
from forum.services import approval, bulk, integrity, search

BATCH = 500
#: Past this many posts, bodies are rendered on several processes.
POOL_THRESHOLD = 5000

_posts = Post.__table__
_users = User.__table__
_redirects = ImportRedirect.__table__


class ImportFailed(Exception):
    """A problem that stops the import (bad address, not the expected kind of data)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class Report:
    """What an import did: counts imported, rows skipped with their reason, and notes."""

    imported: Counter = field(default_factory=Counter)
    existing: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    #: Problems that stopped part of the input (a malformed file); the exit status is 1.
    errors: list = field(default_factory=list)
    #: (members whose points equal the source's, members compared), when the source has points.
    points: tuple | None = None
    #: (posts whose score equals the source's, posts compared), when the source has scores.
    scores: tuple | None = None

    def skip(self, what, reason, row=None):
        """Count a skipped row of kind ``what``; keep the first few row ids as examples."""
        self.skipped[(what, reason)] += 1
        if row is not None:
            examples = self.examples.setdefault((what, reason), [])
            if len(examples) < 5:
                examples.append(str(row))

    def note(self, message):
        if len(self.notes) < 50:
            self.notes.append(message)
        elif len(self.notes) == 50:
            self.notes.append("… (more notes left out)")

    def lines(self):
        """The summary, as lines for the terminal."""
        out = ["Imported: " + (", ".join(f"{n:,} {what}" for what, n in (+self.imported).items())
                               or "nothing new")]
        if +self.existing:
            out.append("Already there from an earlier run: "
                       + ", ".join(f"{n:,} {what}" for what, n in (+self.existing).items()))
        if self.skipped:
            out.append("Skipped:")
            for (what, reason), n in sorted(self.skipped.items()):
                example = self.examples.get((what, reason))
                out.append(f"  {n:,} {what}: {reason}" + (f" (e.g. {', '.join(example)})" if example else ""))
        out += [f"Note: {note}" for note in self.notes]
        out += [f"Error: {error}" for error in self.errors]
        return out


def as_utc(value):
    """Return an aware UTC datetime for a naive one from the source (which stores UTC).

    None for what is not a date (MySQL's zero date arrives as the text "0000-00-00 ...").
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


#: When a source row has no usable date.
UNKNOWN_TIME = datetime(2000, 1, 1, tzinfo=timezone.utc)


def chunks(items, size=BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def ids_by_key(table, keys):
    """Return {import_key: id} for the rows of ``table`` with those keys."""
    found = {}
    for chunk in chunks(keys):
        found.update(db.session.execute(
            select(table.c.import_key, table.c.id).where(table.c.import_key.in_(chunk))).all())
    return found


def keys_with_prefix(table, prefix, *columns):
    """Return {import_key: (id, *columns)} for every row imported under ``prefix``."""
    rows = db.session.execute(
        select(table.c.import_key, table.c.id, *[table.c[c] for c in columns])
        .where(table.c.import_key.like(prefix.replace("%", r"\%").replace("_", r"\_") + "%", escape="\\")))
    return {row[0]: tuple(row[1:]) for row in rows}


def taken_names(canonicals):
    """Return the canonical usernames among ``canonicals`` that members here already use."""
    taken = set()
    for chunk in chunks(canonicals):
        taken.update(db.session.scalars(select(_users.c.username_canonical)
                                        .where(_users.c.username_canonical.in_(chunk))))
    return taken


def taken_emails(canonicals):
    taken = set()
    for chunk in chunks([c for c in canonicals if c]):
        taken.update(db.session.scalars(select(_users.c.email_canonical)
                                        .where(_users.c.email_canonical.in_(chunk))))
    return taken


def insert_users(rows):
    """Insert member rows (with import keys); return {import_key: id}."""
    if not rows:
        return {}
    db.session.execute(insert(_users), rows)
    return ids_by_key(_users, [row["import_key"] for row in rows])


def tag_ids(names):
    """Return {name: id} for the tag names, creating those that do not exist."""
    names = list(dict.fromkeys(names))
    ids = {}
    for chunk in chunks(names):
        ids.update(db.session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(chunk))).all())
    missing = [{"name": name, "question_count": 0} for name in names if name not in ids]
    if missing:
        db.session.execute(insert(Tag.__table__), missing)
        for chunk in chunks([row["name"] for row in missing]):
            ids.update(db.session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(chunk))).all())
    return ids


def post_row(import_key, post_type, created_at, body, **values):
    """A posts row with the defaults of a new post; ``body_html`` is added by insert_posts."""
    row = {
        "type": post_type, "question_id": None, "parent_id": None, "author_id": None, "guest_name": None,
        "guest_email": None, "is_anonymous": False, "title": None, "body": body,
        "body_renderer_version": RENDERER_VERSION, "category_id": None, "status": "visible",
        "view_count": 0, "created_at": created_at, "last_activity_at": created_at,
        "edited_at": None, "edited_by_id": None, "hidden_at": None, "import_key": import_key,
        "attribution": None,
    }
    row.update(values)
    return row


class Renderer:
    """Render Markdown bodies, on several processes when there are many."""

    def __init__(self, jobs=1, total=0):
        self.pool = None
        if jobs > 1 and total > POOL_THRESHOLD:
            # spawn, not fork: the parent holds database connections a child must not share.
            self.pool = multiprocessing.get_context("spawn").Pool(jobs)

    def __call__(self, sources):
        if self.pool is not None:
            return self.pool.map(render_markdown, sources, chunksize=50)
        return [render_markdown(source) for source in sources]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.terminate()


def insert_posts(rows, tags, render):
    """Insert post rows with their first revision and tags; return {import_key: id}.

    ``tags`` maps a question's import key to its tag names.
    """
    if not rows:
        return {}
    for row, html in zip(rows, render([row["body"] for row in rows]), strict=True):
        row["body_html"] = html
    db.session.execute(insert(_posts), rows)
    ids = ids_by_key(_posts, [row["import_key"] for row in rows])
    names = [name for row in rows for name in tags.get(row["import_key"], ())]
    tag_id = tag_ids(names) if names else {}
    db.session.execute(insert(Revision.__table__), [
        {"post_id": ids[row["import_key"]], "number": 1, "title": row["title"], "body": row["body"],
         "tags": " ".join(tags.get(row["import_key"], ())), "category_id": row["category_id"],
         "editor_id": row["author_id"], "created_at": row["created_at"]}
        for row in rows
    ])
    links = [{"post_id": ids[row["import_key"]], "tag_id": tag_id[name]}
             for row in rows for name in tags.get(row["import_key"], ())]
    if links:
        db.session.execute(insert(post_tags), links)
    for row in rows:
        if row["status"] == "queued":  # awaiting approval there: in the approval queue here
            approval.hold(db.session.get(Post, ids[row["import_key"]]), "awaiting approval on the old site")
    return ids


def add_redirects(rows):
    """Store (import_key, kind, old_path, target_id) rows whose keys are not stored yet."""
    rows = list({row[0]: row for row in rows if row[2] and len(row[2]) <= 300}.values())
    if not rows:
        return
    have = set(ids_by_key(_redirects, [row[0] for row in rows]))
    new = [{"import_key": key, "kind": kind, "old_path": path, "target_id": target}
           for key, kind, path, target in rows if key not in have]
    if new:
        db.session.execute(insert(_redirects), new)


def set_best_answers(pairs):
    """Set question -> answer best answers (ids here) that are not set so yet; return how many changed."""
    posts = Post.__table__
    changed = 0
    for chunk in chunks(pairs):
        current = dict(db.session.execute(select(posts.c.id, posts.c.accepted_answer_id)
                                          .where(posts.c.id.in_([q for q, _ in chunk]))).all())
        rows = [{"qid": q, "aid": a} for q, a in chunk if current.get(q) != a]
        if rows:
            db.session.execute(update(posts).where(posts.c.id == bindparam("qid"))
                               .values(accepted_answer_id=bindparam("aid")), rows)
        changed += len(rows)
    return changed


def first_post_id(prefix):
    """The smallest id of the posts imported under ``prefix`` (for the recount), or None."""
    return db.session.scalar(select(func.min(_posts.c.id)).where(_posts.c.import_key.like(prefix + "%")))


def finish(prefix, progress=None):
    """Set every counter, points and the search index from the rows; return the drift found.

    Commits: the import's rows are committed already, and these are derived from them.
    """
    report = progress or (lambda stage: None)
    report("counters")
    first = first_post_id(prefix)
    bulk.refresh_statistics()
    if first is not None:
        bulk.recount_posts(first)
    bulk.recount_categories()
    bulk.recount_tags()
    report("points")
    bulk.store_points()
    db.session.commit()
    report("search index")
    search.reindex_all()
    db.session.commit()
    bulk.vacuum_after_load()
    report("check")
    return integrity.find_drift()

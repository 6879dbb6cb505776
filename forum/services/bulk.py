"""Bulk loading of the benchmark data set: Core inserts in batches, then set-based recounts.

The posting services add one post at a time with all its side effects, which is
right for people and far too slow for 130,000 rows. Here rows are inserted in
batches with explicit ids, and every denormalised counter is then set from the
rows in a few UPDATE statements, so the result is what the services would have
built (``integrity.find_drift()`` finds nothing) in a fraction of the time.
"""
import json
import multiprocessing
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, case, func, insert, select, text, update
from werkzeug.security import generate_password_hash

from forum.extensions import db
from forum.markup import RENDERER_VERSION, render_markdown
from forum.models import Category, Level, Post, Revision, Tag, User, Vote, post_tags
from forum.services import points
from forum.services.errors import Conflict
from forum.services.tags import normalise_tag
from forum.text import canonical

#: Every loaded member can log in with this password.
PASSWORD = "benchpass"
#: Row n of the load (in load order) is created at BASE_TIME + n * STEP.
BASE_TIME = datetime(2024, 1, 1, tzinfo=timezone.utc)
STEP = timedelta(minutes=1)
BATCH = 2000
VOTE_SOURCE = "bench"

_posts = Post.__table__
_users = User.__table__
_votes = Vote.__table__


@dataclass
class Dataset:
    """The data set's lines by kind; indices are positions in these lists."""

    categories: list = field(default_factory=list)  # (title, slug)
    users: list = field(default_factory=list)  # (handle, email)
    questions: list = field(default_factory=list)  # (user, cat, title, body, tags)
    answers: list = field(default_factory=list)  # (question, user, body)
    comments: list = field(default_factory=list)  # (parent kind "q"/"a", parent index, user, body)
    selections: list = field(default_factory=list)  # (question, answer)
    votes: list = field(default_factory=list)  # (user, post kind "q"/"a", post index, value)

    @property
    def size(self):
        """Rows in one copy, in load order (each gets its own minute)."""
        return sum(len(rows) for rows in (self.categories, self.users, self.questions, self.answers,
                                          self.comments, self.selections, self.votes))


def read_dataset(lines):
    """Parse data-set lines (see ../shared/bench/README.md) into a Dataset.

    :raise ValueError: naming the line, when a line is malformed or refers to what is not there.
    """
    data = Dataset()
    kinds = {"cat": data.categories, "user": data.users, "q": data.questions, "a": data.answers,
             "c": data.comments}
    votes_seen = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            _read_row(data, kinds, row, votes_seen)
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise ValueError(f"data set line {number}: {error}") from None
    return data


def _read_row(data, kinds, row, votes_seen):
    kind = row["t"]
    if kind in kinds and row["i"] != len(kinds[kind]):
        raise ValueError(f"expected {kind} index {len(kinds[kind])}, found {row['i']}")
    if kind == "cat":
        data.categories.append((row["title"], row["slug"]))
    elif kind == "user":
        data.users.append((row["handle"], row["email"]))
    elif kind == "q":
        _check(row["user"], data.users, "user")
        _check(row["cat"], data.categories, "category")
        data.questions.append((row["user"], row["cat"], row["title"], row["body"],
                               [normalise_tag(t) for t in row["tags"]]))
    elif kind == "a":
        _check(row["user"], data.users, "user")
        _check(row["q"], data.questions, "question")
        data.answers.append((row["q"], row["user"], row["body"]))
    elif kind == "c":
        parent_kind, parent = row["parent"]
        _check(row["user"], data.users, "user")
        _check(parent, data.questions if parent_kind == "q" else data.answers, f"{parent_kind} parent")
        data.comments.append((parent_kind, parent, row["user"], row["body"]))
    elif kind == "sel":
        _check(row["a"], data.answers, "answer")
        if data.answers[row["a"]][0] != row["q"]:
            raise ValueError(f"answer {row['a']} does not answer question {row['q']}")
        data.selections.append((row["q"], row["a"]))
    elif kind == "v":
        post_kind, post = row["post"]
        posts = data.questions if post_kind == "q" else data.answers
        _check(post, posts, f"{post_kind} post")
        if row["v"] not in (1, -1):
            raise ValueError(f"a vote is 1 or -1, not {row['v']!r}")
        author = posts[post][0] if post_kind == "q" else posts[post][1]
        if row["user"] == author:
            raise ValueError("a member cannot vote on their own post")
        key = (row["user"], post_kind, post)
        if key in votes_seen:
            raise ValueError("a member votes at most once on a post")
        votes_seen.add(key)
        data.votes.append((row["user"], post_kind, post, row["v"]))
    else:
        raise ValueError(f"unknown kind {kind!r}")


def _check(index, rows, what):
    if not isinstance(index, int) or not 0 <= index < len(rows):
        raise ValueError(f"no {what} with index {index!r}")


# --- Rendering ----------------------------------------------------------------------

def render_bodies(data, jobs=1, progress=None):
    """Return {body: html}, rendering each distinct body once, on ``jobs`` processes.

    Markdown rendering is most of the load's CPU time (about 0.6 ms a body), so
    copies made by ``scale`` reuse the HTML, and several processes share the work.
    """
    bodies = list(dict.fromkeys(
        [q[3] for q in data.questions] + [a[2] for a in data.answers] + [c[3] for c in data.comments]
    ))
    html = {}
    report = progress or (lambda *args: None)
    if jobs > 1 and len(bodies) > 5 * BATCH:
        # spawn, not fork: the parent holds database connections a child must not share.
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            for n, (body, rendered) in enumerate(zip(bodies, pool.imap(render_markdown, bodies, 250),
                                                     strict=True), start=1):
                html[body] = rendered
                if n % BATCH == 0 or n == len(bodies):
                    report("render", n, len(bodies))
    else:
        for n, body in enumerate(bodies, start=1):
            html[body] = render_markdown(body)
            if n % BATCH == 0 or n == len(bodies):
                report("render", n, len(bodies))
    return html


# --- Loading ------------------------------------------------------------------------

def post_count():
    return db.session.scalar(select(func.count()).select_from(_posts))


def _next_id(table):
    return (db.session.scalar(select(func.max(table.c.id))) or 0) + 1


def _suffix(copy):
    """What makes copy ``copy`` of the data set distinct: nothing for the first."""
    return "" if copy == 1 else f"-{copy}"


def _handle(handle, copy):
    return handle + _suffix(copy)


def _email(email, copy):
    local, at, domain = email.partition("@")
    return f"{local}{_suffix(copy)}{at}{domain}"


def _batches(rows):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _check_clashes(data, scale):
    """Refuse a load whose members would clash with existing ones."""
    names = [canonical(_handle(h, k)) for k in range(1, scale + 1) for h, _ in data.users]
    emails = [canonical(_email(e, k)) for k in range(1, scale + 1) for _, e in data.users]
    for chunk in range(0, len(names), BATCH):
        taken = db.session.scalars(select(User.username).where(
            User.username_canonical.in_(names[chunk:chunk + BATCH])
            | User.email_canonical.in_(emails[chunk:chunk + BATCH])).limit(3)).all()
        if taken:
            raise Conflict(f"Members such as {', '.join(taken[:3])} already exist: the data set "
                           "(or a copy of it) seems to be loaded already.")


@dataclass
class _Copy:
    """Ids and times of one copy of the data set."""

    number: int
    time0: int  # index of the copy's first row in load order
    user: int  # id of user 0; user i has id user + i
    question: int
    answer: int
    comment: int
    categories: dict  # category index -> id
    tags: dict  # tag name in this copy -> id


def load(data, scale=1, force=False, jobs=1, progress=None):
    """Insert ``scale`` copies of the data set and set every counter and points; return counts.

    Copies are independent communities with their own members, categories and
    tags (names suffixed "-2", "-3", ...); only bodies repeat. Existing categories
    and tags with the same slug or name are reused. Flushes, never commits.

    :raise Conflict: when the forum already has posts (unless ``force``) or the
        data set's members already exist.
    """
    report = progress or (lambda *args: None)
    existing = post_count()
    if existing and not force:
        raise Conflict(f"The forum already has {existing:,} posts; the data set is loaded into an "
                       "empty database only (use --force to load it anyway).")
    _check_clashes(data, scale)
    html = render_bodies(data, jobs=jobs, progress=report)
    password_hash = generate_password_hash(PASSWORD, method="scrypt")  # once: scrypt is slow on purpose
    first_post = _next_id(_posts)
    next_post, next_user = first_post, _next_id(_users)
    for number in range(1, scale + 1):
        copy = _Copy(number=number, time0=(number - 1) * data.size, user=next_user,
                     question=next_post, answer=next_post + len(data.questions),
                     comment=next_post + len(data.questions) + len(data.answers),
                     categories=_load_categories(data, number), tags=_load_tags(data, number))
        _load_users(data, copy, password_hash)
        _load_posts(data, copy, html, report)
        _load_selections(data, copy)
        _load_votes(data, copy, report)
        next_user = copy.user + len(data.users)
        next_post = copy.comment + len(data.comments)
    report("counters", 0, 1)
    refresh_statistics()
    recount_posts(first_post)
    recount_categories()
    recount_tags()
    _reset_sequences()
    report("counters", 1, 1)
    report("points", 0, 1)
    changed = store_points()
    report("points", 1, 1)
    db.session.flush()
    return {
        "categories": len(data.categories) * scale, "members": len(data.users) * scale,
        "questions": len(data.questions) * scale, "answers": len(data.answers) * scale,
        "comments": len(data.comments) * scale, "best answers": len(data.selections) * scale,
        "votes": len(data.votes) * scale, "points set": changed,
    }


def _time(copy, offset):
    return BASE_TIME + (copy.time0 + offset) * STEP


def _load_categories(data, number):
    """Return {index: id}, creating the copy's categories (an existing slug is reused)."""
    slugs = [slug + _suffix(number) for _, slug in data.categories]
    ids = dict(db.session.execute(select(Category.slug, Category.id).where(Category.slug.in_(slugs))).all())
    position = db.session.scalar(select(func.count(Category.id)))
    next_id = _next_id(Category.__table__)
    rows = []
    for (title, _), slug in zip(data.categories, slugs, strict=True):
        if slug not in ids:
            ids[slug] = next_id
            rows.append({"id": next_id, "title": title if number == 1 else f"{title} ({number})",
                         "slug": slug, "position": position, "question_count": 0})
            next_id, position = next_id + 1, position + 1
    if rows:
        db.session.execute(insert(Category.__table__), rows)
    return {index: ids[slug] for index, slug in enumerate(slugs)}


def _load_tags(data, number):
    """Return {name: id} for the copy's tags, creating those that do not exist."""
    names = list(dict.fromkeys(t + _suffix(number) for q in data.questions for t in q[4]))
    ids = {}
    for chunk in range(0, len(names), BATCH):
        ids.update(db.session.execute(
            select(Tag.name, Tag.id).where(Tag.name.in_(names[chunk:chunk + BATCH]))).all())
    next_id = _next_id(Tag.__table__)
    rows = []
    for name in names:
        if name not in ids:
            ids[name] = next_id
            rows.append({"id": next_id, "name": name, "question_count": 0})
            next_id += 1
    for batch in _batches(rows):
        db.session.execute(insert(Tag.__table__), batch)
    return ids


def _load_users(data, copy, password_hash):
    offset = len(data.categories)
    rows = []
    for i, (handle, email) in enumerate(data.users):
        name, address, at = _handle(handle, copy.number), _email(email, copy.number), _time(copy, offset + i)
        rows.append({
            "id": copy.user + i, "username": name, "username_canonical": canonical(name),
            "email": address, "email_canonical": canonical(address), "password_hash": password_hash,
            "level": int(Level.BASIC), "points": 0, "created_at": at, "consented_at": at,
            "import_key": f"bench{_suffix(copy.number)}:user:{i}",
        })
    for batch in _batches(rows):
        db.session.execute(insert(_users), batch)


def _post_rows(data, copy, html):
    """Yield (post row, revision row, tag ids) in load order: questions, answers, comments."""
    prefix = f"bench{_suffix(copy.number)}"
    offset = len(data.categories) + len(data.users)
    for i, (user, cat, title, body, tags) in enumerate(data.questions):
        names = [t + _suffix(copy.number) for t in tags]
        title = title if copy.number == 1 else f"{title} ({copy.number})"
        yield (_post(copy.question + i, "question", copy.user + user, body, html, _time(copy, offset + i),
                     f"{prefix}:q:{i}", title=title, category_id=copy.categories[cat]),
               " ".join(names), [copy.tags[n] for n in names])
    offset += len(data.questions)
    for i, (question, user, body) in enumerate(data.answers):
        qid = copy.question + question
        yield (_post(copy.answer + i, "answer", copy.user + user, body, html, _time(copy, offset + i),
                     f"{prefix}:a:{i}", question_id=qid, parent_id=qid), "", [])
    offset += len(data.answers)
    for i, (parent_kind, parent, user, body) in enumerate(data.comments):
        if parent_kind == "q":
            parent_id = question_id = copy.question + parent
        else:
            parent_id, question_id = copy.answer + parent, copy.question + data.answers[parent][0]
        yield (_post(copy.comment + i, "comment", copy.user + user, body, html, _time(copy, offset + i),
                     f"{prefix}:c:{i}", question_id=question_id, parent_id=parent_id), "", [])


def _post(post_id, post_type, author_id, body, html, at, import_key, title=None, category_id=None,
          question_id=None, parent_id=None):
    return {
        "id": post_id, "type": post_type, "question_id": question_id, "parent_id": parent_id,
        "author_id": author_id, "is_anonymous": False, "title": title, "body": body,
        "body_html": html[body], "body_renderer_version": RENDERER_VERSION, "category_id": category_id,
        "status": "visible", "created_at": at, "last_activity_at": at, "import_key": import_key,
    }


def _load_posts(data, copy, html, report):
    total = len(data.questions) + len(data.answers) + len(data.comments)
    done = 0
    for batch in _batches(_post_rows(data, copy, html)):
        db.session.execute(insert(_posts), [post for post, _, _ in batch])
        db.session.execute(insert(Revision.__table__), [
            {"post_id": post["id"], "number": 1, "title": post["title"], "body": post["body"],
             "tags": tags, "category_id": post["category_id"], "editor_id": post["author_id"],
             "created_at": post["created_at"]}
            for post, tags, _ in batch
        ])
        links = [{"post_id": post["id"], "tag_id": tag} for post, _, tag_ids in batch for tag in tag_ids]
        if links:
            db.session.execute(insert(post_tags), links)
        done += len(batch)
        report(f"posts (copy {copy.number})", done, total)


def _load_selections(data, copy):
    """Set each selected best answer (data, not a counter: it comes from the `sel` lines)."""
    rows = [{"qid": copy.question + q, "aid": copy.answer + a} for q, a in data.selections]
    statement = (update(_posts).where(_posts.c.id == bindparam("qid"))
                 .values(accepted_answer_id=bindparam("aid")))
    for batch in _batches(rows):
        db.session.execute(statement, batch)


def _load_votes(data, copy, report):
    offset = data.size - len(data.votes)
    rows = (
        {"post_id": (copy.question if kind == "q" else copy.answer) + index, "voter_id": copy.user + user,
         "value": value, "source": VOTE_SOURCE, "created_at": _time(copy, offset + i)}
        for i, (user, kind, index, value) in enumerate(data.votes)
    )
    done = 0
    for batch in _batches(rows):
        db.session.execute(insert(_votes), batch)
        done += len(batch)
        report(f"votes (copy {copy.number})", done, len(data.votes))


# --- Set-based recounts -------------------------------------------------------------

def recount_posts(first_id=1):
    """Set the counters of the posts inserted from ``first_id`` on, from the rows they summarise.

    Each counter is one UPDATE ... FROM an aggregate, so every table is read once
    (a correlated subquery per row lets SQLite, without statistics yet, scan all
    answers for each question). Posts without answers, comments or votes keep the
    zeros and the creation time they were inserted with.
    """
    child = _posts.alias("child")
    ours = _posts.c.id >= first_id

    def set_from(aggregate, **values):
        values = {name: value(aggregate.c) for name, value in values.items()}
        db.session.execute(update(_posts).where(ours, _posts.c.id == aggregate.c.pid).values(**values))

    visible = child.c.status == "visible"
    set_from(select(child.c.question_id.label("pid"), func.count().label("n"))
             .where(child.c.type == "answer", visible, child.c.question_id >= first_id)
             .group_by(child.c.question_id).subquery(),
             answer_count=lambda c: c.n)
    set_from(select(child.c.parent_id.label("pid"), func.count().label("n"))
             .where(child.c.type == "comment", visible, child.c.parent_id >= first_id)
             .group_by(child.c.parent_id).subquery(),
             comment_count=lambda c: c.n)
    set_from(select(_votes.c.post_id.label("pid"),
                    func.sum(case((_votes.c.value > 0, 1), else_=0)).label("ups"),
                    func.sum(case((_votes.c.value < 0, 1), else_=0)).label("downs"))
             .where(_votes.c.post_id >= first_id).group_by(_votes.c.post_id).subquery(),
             upvote_count=lambda c: c.ups, downvote_count=lambda c: c.downs,
             score=lambda c: c.ups - c.downs)
    set_from(select(child.c.question_id.label("pid"), func.max(child.c.created_at).label("newest"))
             .where(visible, child.c.question_id >= first_id).group_by(child.c.question_id).subquery(),
             last_activity_at=lambda c: case((c.newest > _posts.c.created_at, c.newest),
                                             else_=_posts.c.created_at))


def recount_categories():
    """Set every category's count of visible questions in it and its sub-categories."""
    direct = dict(db.session.execute(
        select(_posts.c.category_id, func.count())
        .where(_posts.c.type == "question", _posts.c.status == "visible", _posts.c.category_id.is_not(None))
        .group_by(_posts.c.category_id)).all())
    parent = dict(db.session.execute(select(Category.id, Category.parent_id)).all())
    totals = dict.fromkeys(parent, 0)
    for category_id, count in direct.items():
        current, depth = category_id, 0
        while current in totals and depth < 10:  # the depth guard survives a corrupt cycle
            totals[current] += count
            current, depth = parent[current], depth + 1
    table = Category.__table__
    rows = [{"cid": cid, "n": n} for cid, n in totals.items()]
    if rows:
        db.session.execute(update(table).where(table.c.id == bindparam("cid"))
                           .values(question_count=bindparam("n")), rows)


def recount_tags():
    """Set every tag's count of visible questions."""
    tags = Tag.__table__
    count = (select(func.count()).select_from(post_tags.join(_posts, _posts.c.id == post_tags.c.post_id))
             .where(post_tags.c.tag_id == tags.c.id, _posts.c.status == "visible",
                    _posts.c.type == "question")
             .scalar_subquery())
    db.session.execute(update(tags).values(question_count=count))


def store_points():
    """Store the points scheme's total for every member; return how many changed.

    What ``points.recompute()`` does for everyone, minus its row locks (nobody else
    writes during a load). ``recompute()`` passes every member's id to the formula
    as an IN list, which SQLite answers by probing the votes once per id: 26 s for
    2,000 members (0.6 s without the list), far longer at ``scale=10``, and past
    32,766 members it exceeds SQLite's bound-parameter limit.
    """
    expected = points.expected_points()
    stored = dict(db.session.execute(select(User.id, User.points)).all())
    rows = [{"uid": uid, "p": value} for uid, value in expected.items() if stored.get(uid) != value]
    for batch in _batches(rows):
        db.session.execute(update(_users).where(_users.c.id == bindparam("uid"))
                           .values(points=bindparam("p")), batch)
    return len(rows)


def refresh_statistics():
    """Let the query planner see the new rows' distribution (ANALYZE).

    Without statistics SQLite serves a question page's answers through the
    (type, status) index, scanning every answer on the site for each page.
    """
    db.session.execute(text("ANALYZE"))


def vacuum_after_load():
    """PostgreSQL: VACUUM (ANALYZE) the committed load, as autovacuum would some time later.

    Until then the visibility map is empty, so the planner cannot read a list page from its
    index alone and sorts every visible question instead. Runs outside any transaction.
    """
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE)"))


def _reset_sequences():
    """Move PostgreSQL's id sequences past the explicit ids inserted here."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in (_users, _posts, Category.__table__, Tag.__table__):
        db.session.execute(select(func.setval(
            func.pg_get_serial_sequence(table.name, "id"),
            select(func.max(table.c.id)).scalar_subquery())))

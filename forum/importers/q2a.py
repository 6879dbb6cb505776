"""Import a whole Question2Answer site from its MySQL/MariaDB database.

Categories (with their hierarchy), members (their bcrypt or salted-SHA1 password
hashes kept, rehashed here on first login), questions, answers and comments with
their visibility, guests' names, votes with their voters, best answers, tags,
view counts and edits. Old addresses (``/123/slug``, ``/user/handle``,
``/questions/category``, ``/tag/name``) are stored so they redirect here.
The database is read in batches by id ranges; each batch is committed here.
"""
from dataclasses import dataclass

import pymysql
from sqlalchemy import insert, select, update

from forum.extensions import db
from forum.importers import common
from forum.importers.common import ImportFailed
from forum.importers.q2a_source import Source
from forum.importers.text import html_to_markdown, plain_to_markdown
from forum.models import Category, ImportRedirect, Level, Post, User, Vote
from forum.models.tag import MAX_TAGS
from forum.services.tags import normalise_tag, parse_tags
from forum.text import canonical, slugify

#: Question2Answer's update types that mean the content was edited (E), retagged (T), recategorised (A).
EDIT_TYPES = ("E", "T", "A")
#: QA_USER_FLAGS_USER_BLOCKED.
BLOCKED_FLAG = 2
VOTE_SOURCE = "q2a"
PERMANENT_BLOCK = "9999-01-01"


def _tag_names(raw):
    """The valid tag names of a question's comma-separated tags (invalid ones are dropped)."""
    return parse_tags(raw or "")[0]


@dataclass
class State:
    """What is imported so far: Question2Answer ids to forum ids."""

    label: str
    users: dict  # userid -> user id
    posts: dict  # postid -> (post id, type, question id)
    categories: dict  # categoryid -> category id

    def key(self, kind, old_id):
        return f"{self.label}:{kind}:{old_id}"


def _load_state(label):
    users = {int(key.rsplit(":", 1)[1]): uid
             for key, (uid,) in common.keys_with_prefix(User.__table__, f"{label}:user:").items()}
    posts = {int(key.rsplit(":", 1)[1]): (pid, kind, qid) for key, (pid, kind, qid) in
             common.keys_with_prefix(Post.__table__, f"{label}:post:", "type", "question_id").items()}
    categories = {int(key.rsplit(":", 1)[1]): target for key, (_, target) in common.keys_with_prefix(
        ImportRedirect.__table__, f"{label}:category:", "target_id").items()}
    return State(label=label, users=users, posts=posts, categories=categories)


def import_site(url, prefix="qa_", jobs=1, progress=None, label=None):
    """Import the Question2Answer site at ``url``; return the Report.

    ``progress(stage, total)`` returns a callable that advances by n; commits per batch.
    :raise ImportFailed: the database cannot be reached or is not Question2Answer.
    """
    source = Source(url, prefix)
    try:
        version = source.check()
        report = common.Report()
        if version:
            report.note(f"Question2Answer database version {version}")
        label = label or f"q2a:{source.database}"
        state = _load_state(label)
        steps = progress or (lambda stage, total: (lambda n: None))
        _import_categories(source, state, report)
        db.session.commit()
        _import_users(source, state, report, steps)
        with common.Renderer(jobs, source.count("SELECT COUNT(*) FROM {p}posts")) as render:
            for kind in ("Q", "A", "C"):
                _import_posts(source, state, report, steps, kind, render)
        _import_selections(source, state, report)
        _import_closures(source, state, report)
        _import_votes(source, state, report, steps)
        drift = common.finish(label, progress=lambda stage: steps(stage, 1)(1))
        if source.has_points:
            _compare_points(source, state, report)
        else:
            report.note(f"no {prefix}userpoints table: points not compared")
        return report, drift
    except pymysql.MySQLError as error:
        db.session.rollback()
        raise ImportFailed(f"Reading {source.shown} failed: {error.args[-1]}") from None
    finally:
        source.close()


# --- Categories ---------------------------------------------------------------------

def _import_categories(source, state, report):
    rows = source.query("SELECT categoryid, parentid, title, tags, content, position FROM {p}categories "
                        "ORDER BY categoryid")
    by_id = {row["categoryid"]: row for row in rows}

    def path(row, depth=0):
        parent = by_id.get(row["parentid"])
        if parent is None or depth > 10:
            return [row["tags"]]
        return [*path(parent, depth + 1), row["tags"]]

    ordered = sorted(rows, key=lambda row: (len(path(row)), row["position"], row["categoryid"]))
    taken = set(db.session.scalars(select(Category.slug)))
    position = len(taken)
    redirects = []
    for row in ordered:
        old = row["categoryid"]
        if old in state.categories:
            report.existing["categories"] += 1
            continue
        if row["parentid"] is not None and row["parentid"] not in state.categories:
            report.skip("categories", "parent category missing", old)
            continue
        parents = path(row)
        slug = slugify(row["tags"] or row["title"]) or f"category-{old}"
        if slug in taken:
            slug = slugify("-".join(parents)) or slug
        base, n = slug, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        category = Category(title=(row["title"] or slug)[:80], slug=slug, description=row["content"] or "",
                            position=position, parent_id=state.categories.get(row["parentid"]))
        position += 1
        db.session.add(category)
        db.session.flush()
        state.categories[old] = category.id
        redirects.append((state.key("category", old), "category", "/".join(parents), category.id))
        report.imported["categories"] += 1
    common.add_redirects(redirects)


# --- Members ------------------------------------------------------------------------

def _password_hash(row):
    """Keep the old hash in a form accounts.verify_password reads (rehashed at first login)."""
    passhash = row.get("passhash")
    if passhash:
        return passhash if passhash.startswith("$2") else None
    salt, check = row.get("passsalt"), row.get("passcheck")
    if salt and check:
        return f"q2a-sha1${bytes(salt).hex()}${bytes(check).hex()}"
    return None


def _level(value):
    return int(max((level for level in Level if level <= (value or 0)), default=Level.BASIC))


def _import_users(source, state, report, steps):
    columns = "userid, handle, email, level, created, flags, passsalt, passcheck"
    if source.has_passhash:
        columns += ", passhash"
    sql = f"SELECT {columns} FROM {{p}}users WHERE 1=1"
    advance = steps("members", source.count("SELECT COUNT(*) FROM {p}users"))
    legacy = 0
    for rows in source.batches(sql, "userid"):
        new = [row for row in rows if row["userid"] not in state.users]
        report.existing["members"] += len(rows) - len(new)
        names = common.taken_names([canonical(row["handle"] or "") for row in new])
        emails = common.taken_emails([canonical(row["email"] or "") for row in new])
        batch, handles = [], {}
        for row in new:
            userid, handle = row["userid"], (row["handle"] or "").strip()
            name = handle[:30] or f"member-{userid}"
            if canonical(name) in names:
                suffix = f"-{userid}"
                renamed = name[:30 - len(suffix)] + suffix
                report.note(f"member {userid} {handle!r} is called {renamed!r} here: the name is taken")
                name = renamed
            if canonical(name) in names:
                report.skip("members", "username taken here, even with the id added", userid)
                continue
            names.add(canonical(name))
            email = (row["email"] or "").strip()[:254] or None
            if email and canonical(email) in emails:
                report.note(f"member {userid} {handle!r} imported without an email address: "
                            "another member here uses it")
                email = None
            if email:
                emails.add(canonical(email))
            password_hash = _password_hash(row)
            legacy += password_hash is not None and password_hash.startswith("q2a-sha1$")
            created = common.as_utc(row["created"]) or common.UNKNOWN_TIME
            batch.append({
                "username": name, "username_canonical": canonical(name), "email": email,
                "email_canonical": canonical(email) if email else None, "password_hash": password_hash,
                "level": _level(row["level"]), "points": 0, "created_at": created,
                # The old site let them log in; their address is not asked for again.
                "email_verified_at": created if email else None,
                "blocked_until": common.as_utc(PERMANENT_BLOCK + "T00:00:00")
                if (row["flags"] or 0) & BLOCKED_FLAG else None,
                "import_key": state.key("user", userid),
            })
            handles[state.key("user", userid)] = (userid, handle or name)
        ids = common.insert_users(batch)
        common.add_redirects([(key, "user", handles[key][1], uid) for key, uid in ids.items()])
        for key, uid in ids.items():
            state.users[handles[key][0]] = uid
        report.imported["members"] += len(ids)
        db.session.commit()
        advance(len(rows))
    if legacy:
        report.note(f"{legacy} members have pre-1.5 salted SHA-1 passwords; they are rehashed at first login")


# --- Posts --------------------------------------------------------------------------

_TYPES = {"Q": ("Q", "Q_HIDDEN", "Q_QUEUED"), "A": ("A", "A_HIDDEN", "A_QUEUED"),
          "C": ("C", "C_HIDDEN", "C_QUEUED")}
_WHAT = {"Q": "questions", "A": "answers", "C": "comments"}
_POST_TYPE = {"Q": "question", "A": "answer", "C": "comment"}


def _status(q2a_type):
    return "hidden" if q2a_type.endswith("_HIDDEN") else "queued" if q2a_type.endswith("_QUEUED") else "visible"


def _body(row, report):
    content = row["content"] or ""
    fmt = (row["format"] or "").lower()
    if fmt == "html":
        return html_to_markdown(content)
    if fmt != "":
        report.skip("post formats", f"format {fmt!r} imported as plain text", row["postid"])
    return plain_to_markdown(content)


def _import_posts(source, state, report, steps, kind, render):
    what = _WHAT[kind]
    types = _TYPES[kind]
    marks = ", ".join(["%s"] * len(types))
    sql = ("SELECT postid, type, parentid, categoryid, userid, format, created, updated, updatetype, "
           f"lastuserid, title, content, tags, name, notify, views FROM {{p}}posts WHERE type IN ({marks})")
    advance = steps(what, source.count(f"SELECT COUNT(*) FROM {{p}}posts WHERE type IN ({marks})", types))
    for rows in source.batches(sql, "postid", types):
        batch, tags, meta = [], {}, {}
        for row in rows:
            postid = row["postid"]
            if postid in state.posts:
                report.existing[what] += 1
                continue
            built = _post(row, kind, state, report)
            if built is None:
                continue
            batch.append(built)
            tags[built["import_key"]] = _tag_names(row["tags"])[:MAX_TAGS] if kind == "Q" else []
            if kind == "Q" and len(_tag_names(row["tags"])) > MAX_TAGS:
                report.note(f"question {postid}: only the first {MAX_TAGS} tags kept")
            meta[built["import_key"]] = (postid, row)
        ids = common.insert_posts(batch, tags, render)
        redirects = []
        for key, pid in ids.items():
            postid, row = meta[key]
            qid = None if kind == "Q" else state.posts[row["parentid"]][2] or state.posts[row["parentid"]][0]
            state.posts[postid] = (pid, _POST_TYPE[kind], qid)
            redirects.append((key, "post", str(postid), pid))
        if kind == "Q":
            for row in rows:
                for raw in (row["tags"] or "").split(","):
                    name = normalise_tag(raw.strip())
                    if raw.strip() and name in tags.get(state.key("post", row["postid"]), ()):
                        redirects.append((f"{state.label}:tag:{raw.strip()}", "tag", raw.strip(), 0))
        common.add_redirects(_resolve_tags(redirects))
        report.imported[what] += len(ids)
        db.session.commit()
        advance(len(rows))


def _resolve_tags(redirects):
    """Point tag redirects at their tag's id (the tags exist once the batch is in)."""
    names = {normalise_tag(path) for _, kind, path, _ in redirects if kind == "tag"}
    ids = common.tag_ids(names) if names else {}
    return [(key, kind, path, ids[normalise_tag(path)] if kind == "tag" else target)
            for key, kind, path, target in redirects]


def _post(row, kind, state, report):
    """Build the posts row for a Question2Answer post, or None (counted) when it cannot be imported."""
    what, postid = _WHAT[kind], row["postid"]
    question_id = parent_id = None
    if kind != "Q":
        parent = state.posts.get(row["parentid"])
        if parent is None:
            report.skip(what, "its parent post is missing", postid)
            return None
        if kind == "A" and parent[1] != "question":
            report.skip(what, "its parent is not a question", postid)
            return None
        parent_id = parent[0]
        question_id = parent[2] or parent[0]
    author_id = state.users.get(row["userid"]) if row["userid"] is not None else None
    guest_name = None
    if row["userid"] is not None and author_id is None:
        report.skip(f"authors of {what}", "member not imported; shown as a guest", postid)
    if author_id is None:
        guest_name = (row["name"] or "").strip()[:40] or None
    created = common.as_utc(row["created"]) or common.UNKNOWN_TIME
    updated = common.as_utc(row["updated"])
    edited = updated if updated and row["updatetype"] in EDIT_TYPES else None
    status = _status(row["type"])
    notify = (row["notify"] or "").strip()
    values = {
        "question_id": question_id, "parent_id": parent_id, "author_id": author_id, "guest_name": guest_name,
        "guest_email": notify[:254] if author_id is None and "@" in notify else None,
        "status": status, "view_count": row["views"] or 0, "edited_at": edited,
        "edited_by_id": state.users.get(row["lastuserid"]) if edited else None,
        "hidden_at": (updated or created) if status == "hidden" else None,
    }
    if kind == "Q":
        values["title"] = (row["title"] or "").strip()[:200] or f"Question {postid}"
        values["category_id"] = state.categories.get(row["categoryid"])
    return common.post_row(state.key("post", postid), _POST_TYPE[kind], created, _body(row, report), **values)


# --- Best answers and votes ---------------------------------------------------------

def _import_selections(source, state, report):
    for rows in source.batches("SELECT postid, selchildid FROM {p}posts WHERE type IN ('Q', 'Q_HIDDEN', "
                               "'Q_QUEUED') AND selchildid IS NOT NULL", "postid"):
        pairs = []
        for row in rows:
            question, answer = state.posts.get(row["postid"]), state.posts.get(row["selchildid"])
            if question is None:
                continue  # the question itself was skipped (counted there)
            if answer is None or answer[1] != "answer" or answer[2] != question[0]:
                report.skip("best answers", "the selected answer is missing or not an answer of the question",
                            row["postid"])
                continue
            pairs.append((question[0], answer[0]))
        changed = common.set_best_answers(pairs)
        report.imported["best answers"] += changed
        report.existing["best answers"] += len(pairs) - changed
        db.session.commit()


def _import_closures(source, state, report):
    """Close questions Question2Answer closed: as duplicates (closedbyid is a question) or with a note."""
    posts = Post.__table__
    sql = ("SELECT q.postid, q.closedbyid, q.updated, q.created, c.type AS by_type, c.content AS note, "
           "c.created AS noted FROM {p}posts q LEFT JOIN {p}posts c ON c.postid = q.closedbyid "
           "WHERE q.type IN ('Q', 'Q_HIDDEN', 'Q_QUEUED') AND q.closedbyid IS NOT NULL")
    for rows in source.batches(sql, "q.postid"):
        question_ids = [state.posts[row["postid"]][0] for row in rows if row["postid"] in state.posts]
        closed = set(db.session.scalars(select(posts.c.id).where(posts.c.id.in_(question_ids),
                                                                 posts.c.closed_at.is_not(None))))
        for row in rows:
            question = state.posts.get(row["postid"])
            if question is None or question[0] in closed:
                report.existing["closed questions"] += question is not None
                continue
            values = {"closed_at": common.as_utc(row["noted"]) or common.as_utc(row["updated"])
                      or common.as_utc(row["created"]) or common.UNKNOWN_TIME}
            original = state.posts.get(row["closedbyid"])
            if (row["by_type"] or "").startswith("Q") and original is not None and original[1] == "question":
                values.update(closed_reason="duplicate", duplicate_of_id=original[0])
            elif row["by_type"] == "NOTE":
                values.update(closed_reason="other", closed_note=(row["note"] or "").strip()[:300] or None)
            else:
                report.skip("closed questions", "what closed it is missing; imported open", row["postid"])
                continue
            db.session.execute(update(posts).where(posts.c.id == question[0]).values(**values))
            report.imported["closed questions"] += 1
        db.session.commit()


def _import_votes(source, state, report, steps):
    sql = "SELECT postid, userid, vote, votecreated FROM {p}uservotes WHERE vote <> 0"
    advance = steps("votes", source.count("SELECT COUNT(*) FROM {p}uservotes WHERE vote <> 0"))
    flags = source.count("SELECT COUNT(*) FROM {p}uservotes WHERE flag <> 0")
    if flags:
        report.skipped[("flags", "flags are not imported (moderation state of the old site)")] += flags
    last = (-1, -1)
    while True:
        rows = source.query(f"{sql} AND (userid > %s OR (userid = %s AND postid > %s)) "
                            f"ORDER BY userid, postid LIMIT {common.BATCH}", (last[0], last[0], last[1]))
        if not rows:
            break
        last = (rows[-1]["userid"], rows[-1]["postid"])
        candidates = []
        for row in rows:
            post, voter = state.posts.get(row["postid"]), state.users.get(row["userid"])
            if post is None:
                report.skip("votes", "the post was not imported", f"{row['userid']}/{row['postid']}")
            elif voter is None:
                report.skip("votes", "the voter was not imported", f"{row['userid']}/{row['postid']}")
            else:
                candidates.append((voter, post[0], 1 if row["vote"] > 0 else -1,
                                   common.as_utc(row["votecreated"])))
        have = set()
        voters = sorted({c[0] for c in candidates})
        for chunk in common.chunks(voters):
            have.update(db.session.execute(select(Vote.voter_id, Vote.post_id)
                                           .where(Vote.voter_id.in_(chunk))).all())
        new = [{"post_id": pid, "voter_id": voter, "value": value, "source": VOTE_SOURCE,
                "created_at": at or common.UNKNOWN_TIME}
               for voter, pid, value, at in candidates if (voter, pid) not in have]
        if new:
            db.session.execute(insert(Vote.__table__), new)
        report.imported["votes"] += len(new)
        report.existing["votes"] += len(candidates) - len(new)
        db.session.commit()
        advance(len(rows))


def _compare_points(source, state, report):
    """Compare every imported member's points with Question2Answer's qa_userpoints."""
    theirs = {row["userid"]: row["points"] for row in source.query("SELECT userid, points FROM {p}userpoints")}
    ours = dict(db.session.execute(select(User.id, User.points)).all())
    compared = [(userid, uid) for userid, uid in state.users.items() if userid in theirs]
    different = [(userid, uid) for userid, uid in compared if ours.get(uid) != theirs[userid]]
    report.points = (len(compared) - len(different), len(compared))
    report.note(f"points equal to Question2Answer's {source.prefix}userpoints for {report.points[0]:,} of "
                f"{len(compared):,} members (the forum's points scheme; hidden posts earn nothing here)")
    for userid, uid in different[:10]:
        report.note(f"  points differ for member {userid}: Question2Answer {theirs[userid]:,}, "
                    f"here {ours.get(uid, 0):,}")

"""Import a Stack Exchange data dump (the archive.org XML files) with the attribution it requires.

Questions and answers (PostTypeId 1 and 2; tag wikis and other types are counted
and skipped), comments, accepted answers, up and down votes as votes without a
voter (the dumps name no voter), tags, and users as placeholder members who
cannot log in (no email, no password) named "se-<site>-<id>", since display names
collide. Every post stores its CC BY-SA attribution (author, link to the original,
licence by ``ContentLicense`` or by date), shown on the post. Each file is
streamed with ``iterparse``; each batch is committed here.
"""
import json
import os
import re
from collections import defaultdict
from datetime import datetime

from sqlalchemy import insert, select

from forum.extensions import db
from forum.importers import common
from forum.importers.stackexchange_dump import Dump
from forum.importers.text import html_to_markdown
from forum.models import Post, User, Vote
from forum.models.tag import MAX_TAGS
from forum.services.tags import parse_tags
from forum.text import canonical

VOTE_SOURCE = "stackexchange"
#: Stack Exchange's licence by the date content was posted, when a row does not say.
LICENCE_DATES = (("2011-04-08", "CC BY-SA 2.5"), ("2018-05-02", "CC BY-SA 3.0"))
LICENCE_URLS = {
    "CC BY-SA 2.5": "https://creativecommons.org/licenses/by-sa/2.5/",
    "CC BY-SA 3.0": "https://creativecommons.org/licenses/by-sa/3.0/",
    "CC BY-SA 4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
}
VOTE_TYPES = {2: 1, 3: -1}
POST_TYPES = {1: "question", 2: "answer"}
OTHER_POST_TYPES = {3: "orphaned tag wikis", 4: "tag wiki excerpts", 5: "tag wikis",
                    6: "moderator nominations", 7: "wiki placeholders", 8: "privilege wikis"}


def site_host(folder, site=None):
    """The site's host name, from ``site`` or the folder's name ("stackexchange-cooking" works)."""
    name = (site or os.path.basename(os.path.normpath(folder))).strip().lower()
    name = re.sub(r"^https?://", "", name).strip("/")
    name = re.sub(r"^stackexchange[-_.]", "", name)
    if "." not in name or name.endswith(".meta"):
        name = f"{name}.stackexchange.com"
    return name


def site_key(host):
    """A short name for usernames: "conlang-meta" for conlang.meta.stackexchange.com."""
    key = re.sub(r"\.(stackexchange\.com|com|net)$", "", host)
    return re.sub(r"[^a-z0-9]+", "-", key).strip("-")[:18].strip("-") or "site"


def licence_of(row):
    value = (row.get("ContentLicense") or "").strip()
    if value in LICENCE_URLS:
        return value
    date = row.get("CreationDate") or ""
    for until, licence in LICENCE_DATES:
        if date < until:
            return licence
    return "CC BY-SA 4.0"


def _date(value):
    if not value:
        raise ValueError("no CreationDate")
    return common.as_utc(datetime.fromisoformat(value))


def _int(value):
    """The integer in an optional attribute, or None when it is absent or not a number."""
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _tags(raw):
    """Tag names from "<a><b>" (older dumps) or "|a|b|" (2024 on); invalid ones are dropped."""
    parts = re.findall(r"<([^<>]+)>", raw) if "<" in (raw or "") else (raw or "").split("|")
    return parse_tags(" ".join(parts))[0]


class _Import:
    def __init__(self, dump, host, report, steps):
        self.dump, self.host, self.report, self.steps = dump, host, report, steps
        self.label = f"se:{host}"
        self.key = site_key(host)
        self.users = {}  # SE user id -> member id
        self.names = {}  # SE user id -> display name
        self.posts = {}  # SE post id -> (post id, type, question id)
        self.accepted = {}  # SE question id -> SE answer id
        self.scores = {}  # SE post id -> Score in the dump

    def load_state(self):
        for key, (uid,) in common.keys_with_prefix(User.__table__, f"{self.label}:user:").items():
            self.users[int(key.rsplit(":", 1)[1])] = uid
        for key, (pid, kind, qid) in common.keys_with_prefix(Post.__table__, f"{self.label}:post:", "type",
                                                             "question_id").items():
            self.posts[int(key.rsplit(":", 1)[1])] = (pid, kind, qid)

    # --- Users ---------------------------------------------------------------------
    def username(self, se_id):
        suffix = "community" if se_id == -1 else str(se_id).replace("-", "m")
        return f"se-{self.key}-{suffix}"[:30]

    def import_users(self):
        advance = self.steps("users", self.dump.count("Users"))
        batch = []
        for row in self.dump.rows("Users"):
            advance(1)
            try:
                se_id = int(row["Id"])
                created = _date(row.get("CreationDate"))
            except (KeyError, ValueError) as error:
                self.report.skip("users", f"malformed row ({error})", row.get("Id"))
                continue
            self.names[se_id] = (row.get("DisplayName") or "").strip() or f"user {se_id}"
            if se_id in self.users:
                self.report.existing["users"] += 1
                continue
            name = self.username(se_id)
            batch.append({"username": name, "username_canonical": canonical(name), "email": None,
                          "email_canonical": None, "password_hash": None, "level": 0, "points": 0,
                          "created_at": created, "import_key": f"{self.label}:user:{se_id}"})
            if len(batch) >= common.BATCH:
                self._insert_users(batch)
                batch = []
        self._insert_users(batch)

    def _insert_users(self, batch):
        taken = common.taken_names([row["username_canonical"] for row in batch])
        keep = []
        for row in batch:
            if row["username_canonical"] in taken:
                self.report.skip("users", "the username is taken here by another member", row["username"])
            else:
                keep.append(row)
        ids = common.insert_users(keep)
        for key, uid in ids.items():
            self.users[int(key.rsplit(":", 1)[1])] = uid
        self.report.imported["users"] += len(ids)
        db.session.commit()

    # --- Posts ---------------------------------------------------------------------
    def import_posts(self, render):
        total = self.dump.count("Posts")
        for wanted in (1, 2):
            advance = self.steps("questions" if wanted == 1 else "answers", total)
            batch, tags, ids = [], {}, {}
            for row in self.dump.rows("Posts"):
                advance(1)
                try:
                    kind = int(row["PostTypeId"])
                    se_id = int(row["Id"])
                except (KeyError, ValueError) as error:
                    if wanted == 1:
                        self.report.skip("posts", f"malformed row ({error})", row.get("Id"))
                    continue
                if kind not in POST_TYPES:
                    if wanted == 1:
                        self.report.skip(OTHER_POST_TYPES.get(kind, f"posts of type {kind}"),
                                         "not posts here", se_id)
                    continue
                if kind != wanted:
                    continue
                what = POST_TYPES[kind] + "s"
                if _int(row.get("Score")) is not None:
                    self.scores[se_id] = _int(row["Score"])
                if kind == 1 and _int(row.get("AcceptedAnswerId")) is not None:
                    self.accepted[se_id] = _int(row["AcceptedAnswerId"])
                if se_id in self.posts:
                    self.report.existing[what] += 1
                    continue
                built = self._post(row, se_id, kind, what)
                if built is None:
                    continue
                batch.append(built)
                ids[built["import_key"]] = se_id
                if kind == 1:
                    tags[built["import_key"]] = _tags(row.get("Tags"))[:MAX_TAGS]
                if len(batch) >= common.BATCH:
                    self._insert_posts(batch, tags, ids, render, what)
                    batch, tags = [], {}
            self._insert_posts(batch, tags, ids, render, "questions" if wanted == 1 else "answers")

    def _attribution(self, row, se_id, kind):
        owner = _int(row.get("OwnerUserId") or row.get("UserId"))
        author = self.names.get(owner) if owner is not None else None
        author = author or (row.get("OwnerDisplayName") or row.get("UserDisplayName") or "").strip() \
            or "an unknown user"
        path = {"question": "q", "answer": "a"}.get(kind)
        url = f"https://{self.host}/{path}/{se_id}" if path else f"https://{self.host}/posts/comments/{se_id}"
        licence = licence_of(row)
        return json.dumps({
            "site": self.host, "url": url, "author": author,
            "author_url": f"https://{self.host}/users/{owner}" if owner is not None and owner > 0 else None,
            "license": licence, "license_url": LICENCE_URLS[licence],
        })

    def _post(self, row, se_id, kind, what):
        try:
            created = _date(row.get("CreationDate"))
            body = row["Body"]
            if kind == 1 and not (row.get("Title") or "").strip():
                raise ValueError("no Title")
        except (KeyError, ValueError) as error:
            self.report.skip(what, f"malformed row ({error})", se_id)
            return None
        question_id = parent_id = None
        if kind == 2:
            parent = self.posts.get(_int(row.get("ParentId")))
            if parent is None or parent[1] != "question":
                self.report.skip(what, "its question is missing", se_id)
                return None
            question_id = parent_id = parent[0]
        owner = _int(row.get("OwnerUserId"))
        author_id = self.users.get(owner)
        editor = row.get("LastEditorUserId")
        edited = row.get("LastEditDate")
        try:
            edited_at = _date(edited) if edited else None
        except ValueError:
            edited_at = None
        values = {
            "question_id": question_id, "parent_id": parent_id, "author_id": author_id,
            "guest_name": None if author_id else ((row.get("OwnerDisplayName") or self.names.get(owner) or "")
                                                  .strip()[:40] or None),
            "view_count": max(0, _int(row.get("ViewCount")) or 0),
            "edited_at": edited_at,
            "edited_by_id": self.users.get(_int(editor)) if edited_at else None,
            "attribution": self._attribution(row, se_id, POST_TYPES[kind]),
        }
        if kind == 1:
            values["title"] = row["Title"].strip()[:200]
        return common.post_row(f"{self.label}:post:{se_id}", POST_TYPES[kind], created,
                               html_to_markdown(body), **values)

    def _insert_posts(self, batch, tags, ids, render, what):
        inserted = common.insert_posts(batch, tags, render)
        by_key = {row["import_key"]: row for row in batch}
        for key, pid in inserted.items():
            row = by_key[key]
            self.posts[ids[key]] = (pid, row["type"], row["question_id"])
        self.report.imported[what] += len(inserted)
        db.session.commit()

    # --- Comments, accepted answers, votes ---------------------------------------
    def import_comments(self, render):
        advance = self.steps("comments", self.dump.count("Comments"))
        batch, ids = [], {}
        for row in self.dump.rows("Comments"):
            advance(1)
            try:
                se_id, post_id = int(row["Id"]), int(row["PostId"])
                created = _date(row.get("CreationDate"))
                text = row["Text"]
            except (KeyError, ValueError) as error:
                self.report.skip("comments", f"malformed row ({error})", row.get("Id"))
                continue
            key = f"{self.label}:comment:{se_id}"
            parent = self.posts.get(post_id)
            if parent is None:
                self.report.skip("comments", "its post is missing", se_id)
                continue
            if key in ids or self._comment_done(key):
                self.report.existing["comments"] += 1
                continue
            owner = _int(row.get("UserId"))
            author_id = self.users.get(owner)
            batch.append(common.post_row(
                key, "comment", created, text, parent_id=parent[0], question_id=parent[2] or parent[0],
                author_id=author_id,
                guest_name=None if author_id else ((row.get("UserDisplayName") or self.names.get(owner) or "")
                                                   .strip()[:40] or None),
                attribution=self._attribution(row, se_id, "comment")))
            ids[key] = se_id
            if len(batch) >= common.BATCH:
                self._insert_comments(batch)
                batch = []
        self._insert_comments(batch)

    def _comment_done(self, key):
        if not hasattr(self, "_comments_done"):
            self._comments_done = set(common.keys_with_prefix(Post.__table__, f"{self.label}:comment:"))
        return key in self._comments_done

    def _insert_comments(self, batch):
        inserted = common.insert_posts(batch, {}, self.render)
        self.report.imported["comments"] += len(inserted)
        db.session.commit()

    def import_accepted(self):
        pairs = []
        for question, answer in self.accepted.items():
            q, a = self.posts.get(question), self.posts.get(answer)
            if q is None:
                continue
            if a is None or a[1] != "answer" or a[2] != q[0]:
                self.report.skip("accepted answers", "the accepted answer is missing", question)
                continue
            pairs.append((q[0], a[0]))
        changed = common.set_best_answers(pairs)
        self.report.imported["accepted answers"] += changed
        self.report.existing["accepted answers"] += len(pairs) - changed
        db.session.commit()

    def import_votes(self):
        advance = self.steps("votes", self.dump.count("Votes"))
        votes = defaultdict(list)  # post id here -> [(value, date)]
        for row in self.dump.rows("Votes"):
            advance(1)
            try:
                kind, post_id = int(row["VoteTypeId"]), int(row["PostId"])
                created = _date(row.get("CreationDate"))
            except (KeyError, ValueError) as error:
                self.report.skip("votes", f"malformed row ({error})", row.get("Id"))
                continue
            if kind not in VOTE_TYPES:
                self.report.skip("votes", f"vote type {kind} is not an up or down vote")
                continue
            post = self.posts.get(post_id)
            if post is None:
                self.report.skip("votes", "the post is not in the dump (deleted) or was skipped")
                continue
            votes[post[0]].append((VOTE_TYPES[kind], created))
        for chunk in common.chunks(sorted(votes)):
            # Votes carry no key: a post's votes go in together, once (a re-run finds them).
            done = set(db.session.scalars(select(Vote.post_id).where(Vote.post_id.in_(chunk),
                                                                       Vote.source == VOTE_SOURCE)))
            rows = [{"post_id": pid, "voter_id": None, "value": value, "source": VOTE_SOURCE, "created_at": at}
                    for pid in chunk if pid not in done for value, at in votes[pid]]
            self.report.existing["votes"] += sum(len(votes[pid]) for pid in done)
            if rows:
                db.session.execute(insert(Vote.__table__), rows)
            self.report.imported["votes"] += len(rows)
            db.session.commit()

    def compare_scores(self):
        """Note how many posts' scores equal the dump's Score (up minus down votes)."""
        ids = {self.posts[se][0]: score for se, score in self.scores.items() if se in self.posts}
        stored = {}
        for chunk in common.chunks(list(ids)):
            stored.update(db.session.execute(select(Post.id, Post.score).where(Post.id.in_(chunk))).all())
        equal = sum(1 for pid, score in ids.items() if stored.get(pid) == score)
        self.report.scores = (equal, len(ids))
        self.report.note(f"scores equal to the dump's Score for {equal:,} of {len(ids):,} questions and answers")


def import_dump(folder, site=None, progress=None):
    """Import the Stack Exchange dump in ``folder``; return (Report, drift).

    :raise ImportFailed: the folder is missing or holds no Posts.xml.
    """
    report = common.Report()
    dump = Dump(folder, report)
    host = site_host(folder, site)
    steps = progress or (lambda stage, total: (lambda n: None))
    job = _Import(dump, host, report, steps)
    job.load_state()
    if dump.has("PostHistory"):
        report.note("PostHistory.xml: revision histories are not imported; each post keeps its current text")
    job.import_users()
    with common.Renderer(1) as render:
        job.render = render
        job.import_posts(render)
        job.import_comments(render)
    job.import_accepted()
    job.import_votes()
    drift = common.finish(job.label, progress=lambda stage: steps(stage, 1)(1))
    job.compare_scores()
    report.note(f"content from {host}, licensed CC BY-SA; every post shows its attribution")
    return report, drift

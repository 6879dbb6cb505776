"""Atom and RSS feeds of public questions and answers, and their cache validators."""
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

from feedgen.feed import FeedGenerator
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import Answer
from forum.services import questions, settings
from forum.services.users import display_name
from forum.text import slugify
from forum.urls import external_url

FORMATS = {"atom": "application/atom+xml", "rss": "application/rss+xml"}
#: A feed with no entries yet still needs a stable "updated" time for its validators.
NEVER = datetime(2000, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Entry:
    """One feed entry, with everything a reader sees except the body."""

    post: object
    title: str
    link: str
    #: A stable id: the post's short URL, which survives title edits.
    id: str
    author: str
    published: datetime
    updated: datetime
    tags: tuple = ()


@dataclass
class Feed:
    title: str
    #: The HTML page the feed mirrors.
    page_url: str
    #: The feed's own URL, also its Atom id.
    self_url: str
    entries: list = field(default_factory=list)

    @property
    def updated(self):
        return max((entry.updated for entry in self.entries), default=NEVER)

    def etag(self, fmt):
        """Hash the newest update time and the entry count, plus what each entry shows.

        The entries count too, so a hidden post, a renamed member or a silent edit (a
        moderator removing personal details leaves ``edited_at`` alone) changes the tag
        even when the newest time and the count stay the same.
        """
        digest = hashlib.sha256(f"{fmt}\n{self.title}\n{self.updated.isoformat()}\n{len(self.entries)}".encode())
        for e in self.entries:
            digest.update(f"\n{e.id}\n{e.updated.isoformat()}\n{e.author}\n{e.title}\n{e.tags}\n".encode())
            digest.update(e.post.body_html.encode())
        return digest.hexdigest()[:40]


def _site(title):
    return f"{settings.get('site_name')}: {title}"


def _question_entry(question):
    return Entry(
        post=question,
        title=question.title,
        link=external_url("questions.show", question_id=question.id, slug=slugify(question.title)),
        id=external_url("questions.show", question_id=question.id),
        author=display_name(question).name,
        published=question.created_at,
        updated=question.edited_at or question.created_at,
        tags=tuple(tag.name for tag in question.tags),
    )


def _answer_entry(answer, question):
    name = display_name(answer).name
    link = external_url("answers.show", answer_id=answer.id)
    return Entry(
        post=answer, title=f"{name} answered “{question.title}”", link=link, id=link, author=name,
        published=answer.created_at, updated=answer.edited_at or answer.created_at,
    )


def _list_feed(title, page_url, self_url, **filters):
    """One page of visible questions, newest first (the same list the page shows)."""
    result = questions.list_questions(page=1, **filters, with_text=True)
    return Feed(title=_site(title), page_url=page_url, self_url=self_url,
                entries=[_question_entry(q) for q in result.questions])


def recent_questions_feed():
    return _list_feed("recent questions", external_url("questions.index"), external_url("feeds.index"))


def unanswered_feed():
    return _list_feed("unanswered questions", external_url("questions.unanswered"),
                      external_url("feeds.unanswered"), unanswered=True)


def category_feed(category):
    """New questions in ``category`` and its sub-categories."""
    return _list_feed(category.title, external_url("questions.category", slug=category.slug),
                      external_url("feeds.category", slug=category.slug), category=category)


def tag_feed(tag):
    return _list_feed(f"questions tagged {tag.name}", external_url("questions.tag", name=tag.name),
                      external_url("feeds.tag", name=tag.name), tag=tag)


def newest_answers(question, limit):
    """The question's newest visible answers with their authors.

    Not load_thread(): a feed wants the newest answers, and the thread's first page
    holds the best-scored ones.
    """
    return list(db.session.scalars(
        select(Answer)
        .where(Answer.question_id == question.id, questions.visible_to(None, False, Answer))
        .options(joinedload(Answer.author))
        .order_by(Answer.created_at.desc(), Answer.id.desc())
        .limit(limit)
    ))


def question_feed(question):
    """The question and its newest visible answers; the caller checks that it is public."""
    answers = newest_answers(question, settings.get("answers_per_page"))
    entry = _question_entry(question)
    return Feed(title=_site(question.title), page_url=entry.link,
                self_url=external_url("feeds.question", question_id=question.id),
                entries=[_answer_entry(a, question) for a in answers] + [entry])


def is_public(question):
    """Feeds show only visible questions that were not merged away."""
    return question is not None and question.status == "visible" and not question.merged_into_id


def render(feed, fmt="atom"):
    """Return the feed as Atom or RSS bytes.

    Authors are names only: feedgen writes an RSS <author> only with an email, so RSS
    names go in <dc:creator>.
    """
    generator = FeedGenerator()
    if fmt == "rss":
        generator.load_extension("dc")
    self_url = feed.self_url + ("?format=rss" if fmt == "rss" else "")
    generator.id(self_url)
    generator.title(feed.title)
    generator.subtitle(settings.get("tagline") or feed.title)
    # feedgen takes the last link as the RSS channel's <link>: the page, not the feed.
    generator.link(href=self_url, rel="self")
    generator.link(href=feed.page_url, rel="alternate")
    generator.language("en")
    generator.updated(feed.updated)
    for item in feed.entries:
        entry = generator.add_entry(order="append")
        entry.id(item.id)
        entry.guid(item.id, permalink=True)
        entry.title(item.title)
        entry.link(href=item.link, rel="alternate")
        entry.published(item.published)
        entry.updated(item.updated)
        if item.post.content_warning:
            # A content-warned body stays behind its warning in feeds too: readers open the post.
            warning = escape(item.post.content_warning)
            entry.content(f"<p>Content warning: {warning}. <a href=\"{escape(item.link)}\">Open the post</a> "
                          f"to read it.</p>", type="html")
        elif item.post.body_html:
            entry.content(item.post.body_html, type="html")
        for tag in item.tags:
            entry.category(term=tag)
        if fmt == "rss":
            entry.dc.dc_creator(item.author)
        else:
            entry.author(name=item.author)
    if fmt == "rss":
        return generator.rss_str(pretty=False)
    return generator.atom_str(pretty=False)

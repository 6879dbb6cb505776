"""What every new post shares: body rules, rendering, guests, revision 1, one-time tokens, spam rules."""
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from forum.extensions import db
from forum.markup import RENDERER_VERSION, render_markdown
from forum.models import Post, Revision, utcnow
from forum.permissions import is_new_member
from forum.services import approval, points, safety, settings
from forum.services.errors import ValidationFailed
from forum.services.users import guest_name_problems
from forum.text import clean_input, has_control_characters

#: Defaults of the posting-limit settings (``title_min_length`` and so on), which
#: the functions below read at call time.
TITLE_MIN, TITLE_MAX = 8, 200
BODY_MAX = {"question": 30_000, "answer": 30_000, "comment": 2_000}
BODY_MIN = {"question": 0, "answer": 1, "comment": 1}


def title_limits():
    """Return the shortest and longest title allowed, as the admin has set them."""
    return settings.get("title_min_length"), settings.get("title_max_length")


def body_max(kind):
    """Return the longest body allowed for a question, answer or comment."""
    return settings.get(f"{kind}_body_max_length")


@dataclass(frozen=True)
class Guest:
    """What a guest gave about themselves: an optional name and email."""

    name: str | None = None
    email: str | None = None


class DuplicateSubmission(Exception):
    """The form was submitted twice; ``post`` is the post the first submit made."""

    def __init__(self, post):
        super().__init__(post.id)
        self.post = post


def clean_body(kind, body, errors):
    """Normalise a body and record problems under ``errors['body']``."""
    body = clean_input(body)
    # Before strip(): it counts U+001C to U+001F and U+0085 as whitespace and would hide them.
    controls = has_control_characters(body)
    body = body.strip()
    if controls:
        errors.setdefault("body", []).append("Remove the invisible control characters from the text.")
    if len(body) < BODY_MIN[kind]:
        errors.setdefault("body", []).append("Please write something first.")
    maximum = body_max(kind)
    if len(body) > maximum:
        errors.setdefault("body", []).append(
            f"That is {len(body):,} characters; please keep it under {maximum:,}."
        )
    return body


def one_line(value):
    """Normalise a one-line field: CRLF as everywhere, then every whitespace run to one space.

    Check ``has_control_characters`` on the text before this: str.split() counts some
    control characters (U+001C to U+001F, U+0085) as whitespace and would hide them.
    """
    return " ".join(clean_input(value or "").split())


def clean_warning(warning, errors):
    """An optional one-line content warning, e.g. "mentions self-harm"."""
    controls = has_control_characters(clean_input(warning or ""))
    warning = one_line(warning) or None
    if warning and (len(warning) > 100 or controls):
        errors.setdefault("content_warning", []).append(
            "Keep the content warning to one short line (100 characters).")
    return warning


def clean_title(title, errors):
    controls = has_control_characters(clean_input(title))
    title = one_line(title)
    if controls:
        errors.setdefault("title", []).append("Remove the invisible control characters from the title.")
    minimum, maximum = title_limits()
    if len(title) < minimum:
        errors.setdefault("title", []).append(
            f"Please write a title of at least {minimum} characters, as a question."
        )
    elif len(title) > maximum:
        errors.setdefault("title", []).append(f"Keep the title under {maximum} characters.")
    return title


def check_guest(author, guest, errors):
    """Validate a guest's name; members never carry guest fields."""
    if author is not None or guest is None:
        return Guest()
    if has_control_characters(clean_input(guest.name or "")):
        errors["guest_name"] = ["Remove the invisible control characters from the name."]
    name = one_line(guest.name) or None
    if "guest_name" not in errors and (problems := guest_name_problems(name)):
        errors["guest_name"] = problems
    email = (guest.email or "").strip() or None
    return Guest(name=name, email=email)


def find_by_token(token):
    if not token:
        return None
    return db.session.scalar(select(Post).where(Post.submission_token == token))


def anon_number_for(author, question_id):
    """The member's alias number in a thread: theirs if they posted anonymously there before."""
    if question_id is None:
        return 1
    thread = (Post.id == question_id) | (Post.question_id == question_id)
    rows = db.session.execute(
        select(Post.author_id, Post.anon_number).where(thread, Post.is_anonymous.is_(True),
                                                       Post.anon_number.is_not(None))
    ).all()
    for author_id, number in rows:
        if author_id == author.id:
            return number
    return max((number for _, number in rows), default=0) + 1


#: The same text from the same author within this window is a repeat, not a new post.
REPEAT_WINDOW = timedelta(minutes=5)
_LINK = re.compile(r"<a\s", re.IGNORECASE)


def count_links(body_html):
    """Count the links in rendered HTML (remote images are rendered as links too)."""
    return len(_LINK.findall(body_html or ""))


def check_links(author, body_html, errors):
    """Refuse more than ``new_member_max_links`` links from a guest or a new member."""
    if author is not None and not is_new_member(author):
        return
    maximum = settings.get("new_member_max_links")
    found = count_links(body_html)
    if found > maximum:
        who = "guests" if author is None else "new members"
        errors.setdefault("body", []).append(
            f"This has {found} links; posts by {who} may hold at most {maximum}, to keep spam out. "
            "Please remove some (your text is kept).")


def check_repeat(author, ip_address, title, body, now, errors):
    """Refuse the same text from the same author (a guest: the same address) within REPEAT_WINDOW.

    A double click carries the same one-time token and is answered with the first post
    (DuplicateSubmission); this catches the same text sent again as a new submission.
    """
    if author is not None:
        same_author = Post.author_id == author.id
    elif ip_address:
        same_author = Post.author_id.is_(None) & (Post.ip_address == ip_address)
    else:
        return
    same_title = Post.title.is_(None) if title is None else Post.title == title
    earlier = db.session.scalar(
        select(Post.id).where(same_author, same_title, Post.body == body,
                              Post.created_at >= now - REPEAT_WINDOW).limit(1)
    )
    if earlier is not None:
        errors.setdefault("body", []).append(
            "You posted this same text a moment ago. Please wait a few minutes before posting it "
            "again, or change it.")


def new_post(cls, *, author, guest, body, token, ip_address=None, revision_tags="", anonymous=False,
             **fields):
    """Add a post with its rendered HTML and its revision 1, and flush.

    Posts sent over the web (they carry the sender's ``ip_address``) also pass the
    anti-spam rules: at most ``new_member_max_links`` links from guests and new members,
    and no repeat of the same text within REPEAT_WINDOW. Imports, the demo and test
    factories write no address and skip them.

    :raise DuplicateSubmission: when ``token`` was already used (a double submit).
    :raise ValidationFailed: with a ``body`` error when an anti-spam rule refuses it.
    """
    if (existing := find_by_token(token)) is not None:
        raise DuplicateSubmission(existing)
    now = fields.pop("created_at", None) or utcnow()
    body_html = render_markdown(body)
    if ip_address is not None:
        errors = {}
        check_links(author, body_html, errors)
        check_repeat(author, ip_address, fields.get("title"), body, now, errors)
        raise_if(errors)
    cause = approval.hold_reason(author, fields.get("title") or "", body)
    if cause:
        fields["status"] = "queued"
    if anonymous and author is not None:
        fields["is_anonymous"] = True
        fields["anon_number"] = anon_number_for(author, fields.get("question_id"))
    post = cls(
        author_id=author.id if author is not None else None,
        guest_name=guest.name if author is None else None,
        guest_email=guest.email if author is None else None,
        body=body,
        body_html=body_html,
        body_renderer_version=RENDERER_VERSION,
        submission_token=token or None,
        ip_address=ip_address,
        created_at=now,
        last_activity_at=now,
        **fields,
    )
    db.session.add(post)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # The same token raced in from a second click: hand back the first post.
        existing = find_by_token(token)
        if existing is None:
            raise
        raise DuplicateSubmission(existing) from None
    db.session.add(Revision(
        post_id=post.id, number=1, title=post.title, body=body,
        tags=revision_tags,
        category_id=post.category_id, editor_id=post.author_id, created_at=now,
    ))
    points.post_created(post)
    if cause:
        approval.hold(post, cause)
    safety.flag_crisis(post)
    return post


def raise_if(errors):
    if errors:
        raise ValidationFailed(errors=errors)


def rerender_posts(everything=False, batch=500):
    """Re-render posts whose HTML came from an older renderer; return how many."""
    query = select(Post).order_by(Post.id)
    if not everything:
        query = query.where(Post.body_renderer_version < RENDERER_VERSION)
    count = 0
    for post in db.session.scalars(query.execution_options(yield_per=batch)):
        post.body_html = render_markdown(post.body)
        post.body_renderer_version = RENDERER_VERSION
        count += 1
    db.session.flush()
    return count

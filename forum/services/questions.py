"""Questions: asking, loading a thread in a fixed number of queries, and lists."""
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, inspect, or_, select, update
from sqlalchemy.orm import defer, joinedload, selectinload

from forum.extensions import db
from forum.models import Answer, Comment, Post, Question, post_tags
from forum.services import categories as categories_service
from forum.services import notifications, posting, search, settings
from forum.services import tags as tags_service
from forum.services.errors import NotFound


def ask_question(author, title, body, category=None, tag_text="", guest=None,
                 token=None, ip_address=None, created_at=None,
                 import_key=None, content_warning=None, anonymous=False):
    """Post a question; return it.

    :raise ValidationFailed: with field errors (title, body, category, tags, guest_name).
    :raise posting.DuplicateSubmission: when the form was already submitted.
    """
    errors = {}
    title = posting.clean_title(title, errors)
    body = posting.clean_body("question", body, errors)
    guest = posting.check_guest(author, guest, errors)
    names, tag_problems = tags_service.parse_tags(tag_text)
    if tag_problems:
        errors["tags"] = tag_problems
    if category is None and categories_service.all_categories():
        errors["category"] = ["Choose the category that fits best."]
    content_warning = posting.clean_warning(content_warning, errors)
    posting.raise_if(errors)
    question = posting.new_post(
        Question, author=author, guest=guest, body=body, token=token, ip_address=ip_address, content_warning=content_warning, anonymous=anonymous,
        title=title, category_id=category.id if category else None, created_at=created_at, import_key=import_key,
        revision_tags=" ".join(names),
    )
    tags = tags_service.get_or_create_tags(names)
    if tags:
        db.session.execute(post_tags.insert(), [{"post_id": question.id, "tag_id": t.id} for t in tags])
    if question.status == "visible":
        categories_service.change_question_counts(category, +1)
        tags_service.change_question_counts(tags, +1)
    search.reindex_question(question.id)
    db.session.flush()
    notifications.post_published(question)
    return question


def get_question(question_id, details=True):
    """Return the question with its author, editor, category and tags, or None.

    ``details=False`` loads the question's own row alone (the page around a cached thread
    needs no more); ``load_details`` adds the rest when the thread is rendered after all.
    """
    if not details:
        return db.session.get(Question, question_id)
    return db.session.scalar(select(Question).where(Question.id == question_id).options(*_DETAILS))


_DETAILS = (joinedload(Question.author), joinedload(Question.category), joinedload(Question.edited_by),
            selectinload(Question.tags))


def load_details(question):
    """Load the question's author, editor, category and tags, if they are not loaded yet."""
    if "tags" in inspect(question).unloaded:
        db.session.scalars(select(Question).where(Question.id == question.id).options(*_DETAILS)
                           .execution_options(populate_existing=True)).one()
    return question


def answer_order():
    """Accepted answer first, then by score, then oldest first."""
    return (Answer.score.desc(), Answer.created_at, Answer.id)


def visible_to(viewer_id, is_moderator, model=Post):
    """Filter: what a viewer may see (visible; own queued posts; everything for moderators)."""
    if is_moderator:
        return model.status.in_(("visible", "queued", "hidden", "deleted"))
    if viewer_id is None:
        return model.status == "visible"
    return or_(model.status == "visible",
               and_(model.status == "queued", model.author_id == viewer_id))


@dataclass
class Thread:
    question: Question
    answers: list
    comments: dict = field(default_factory=dict)  # parent id -> [Comment]
    page: int = 1
    pages: int = 1
    answer_total: int = 0


def load_thread(question, viewer_id=None, is_moderator=False, page=1):
    """Load one page of the thread: answers with authors, comments with authors.

    Costs the same few queries however many answers and comments there are.
    """
    per_page = settings.get("answers_per_page")
    accepted_first = case((Answer.id == question.accepted_answer_id, 0), else_=1)
    where = and_(Answer.question_id == question.id, visible_to(viewer_id, is_moderator, Answer))
    total = db.session.scalar(select(func.count(Answer.id)).where(where))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    answers = list(db.session.scalars(
        select(Answer).where(where).options(joinedload(Answer.author), joinedload(Answer.edited_by))
        .order_by(accepted_first, *answer_order())
        .limit(per_page).offset((page - 1) * per_page)
    ))
    parent_ids = [question.id] + [a.id for a in answers]
    comments = {}
    for comment in db.session.scalars(
        select(Comment)
        .where(Comment.question_id == question.id, Comment.parent_id.in_(parent_ids),
               visible_to(viewer_id, is_moderator, Comment))
        .options(joinedload(Comment.author))
        .order_by(Comment.created_at, Comment.id)
    ):
        comments.setdefault(comment.parent_id, []).append(comment)
    return Thread(question=question, answers=answers, comments=comments,
                  page=page, pages=pages, answer_total=total)


def answer_page(answer):
    """Return the page of its question on which ``answer`` is shown."""
    question = db.session.get(Question, answer.question_id)
    if question is None:
        raise NotFound()
    if question.accepted_answer_id == answer.id:
        return question, 1
    accepted = question.accepted_answer_id
    before = db.session.scalar(
        select(func.count(Answer.id)).where(
            Answer.question_id == question.id,
            Answer.status == "visible",
            Answer.id != answer.id,
            or_(
                Answer.id == accepted if accepted else False,
                Answer.score > answer.score,
                and_(Answer.score == answer.score,
                     or_(Answer.created_at < answer.created_at,
                         and_(Answer.created_at == answer.created_at, Answer.id < answer.id))),
            ),
        )
    )
    return question, before // settings.get("answers_per_page") + 1


# --- Lists ----------------------------------------------------------------------

@dataclass
class QuestionPage:
    questions: list
    page: int
    has_next: bool


def list_page_ids(page=1, category=None, tag=None, unanswered=False, before=None, after=None):
    """Return (the ids of one page of visible questions, newest first; whether a page follows).

    One query that reads the index alone. Deep pages are reached by keyset: ``before``
    (the id of the last question of the page before) gives the questions just older than
    it, ``after`` (the id of the first question of the page after) those just newer, each
    by an index range however deep; ``page`` then only numbers the page. Without either,
    ``page`` is an offset (first pages, old links).
    """
    per_page = settings.get("questions_per_page")
    query = select(Question.id).where(Question.status == "visible")
    if category is not None:
        query = query.where(Question.category_id.in_(categories_service.descendant_ids(category)))
    if tag is not None:
        query = query.where(Question.id.in_(
            select(post_tags.c.post_id).where(post_tags.c.tag_id == tag.id)))
    if unanswered:
        query = query.where(Question.answer_count == 0)
    if after is not None:
        ids = list(db.session.scalars(
            query.where(_beyond(after, newer=True)).order_by(Question.created_at, Question.id).limit(per_page)
        ))[::-1]
        return ids, bool(ids)
    if before is not None:
        query = query.where(_beyond(before, newer=False))
    else:
        query = query.offset((max(1, page) - 1) * per_page)
    ids = list(db.session.scalars(query.order_by(*_newest_first()).limit(per_page + 1)))
    return ids[:per_page], len(ids) > per_page


def list_questions(page=1, category=None, tag=None, unanswered=False, before=None, after=None,
                   with_text=False, found=None):
    """Return one page of visible questions, newest first, with authors, categories and tags.

    ``found`` is what ``list_page_ids`` returned for this page, when already known. The
    questions' text is only read ``with_text`` (a list shows none of it).
    """
    ids, has_next = found or list_page_ids(page, category, tag, unanswered, before, after)
    rows = []
    if ids:
        query = (select(Question).where(Question.id.in_(ids)).order_by(*_newest_first())
                 .options(joinedload(Question.author), joinedload(Question.category),
                          selectinload(Question.tags)))
        if not with_text:
            query = query.options(defer(Question.body), defer(Question.body_html))
        rows = list(db.session.scalars(query))
    return QuestionPage(questions=rows, page=max(1, page), has_next=has_next)


def _newest_first():
    return Question.created_at.desc(), Question.id.desc()


def _beyond(cursor_id, newer):
    """Questions strictly newer (or older) than the question ``cursor_id``, in list order."""
    cursor = select(Post.created_at).where(Post.id == cursor_id).scalar_subquery()
    if newer:
        return or_(Question.created_at > cursor, and_(Question.created_at == cursor, Question.id > cursor_id))
    return or_(Question.created_at < cursor, and_(Question.created_at == cursor, Question.id < cursor_id))


def touch_activity(question_id, when):
    """Record new visible activity on the thread."""
    db.session.execute(
        update(Question).where(Question.id == question_id, Question.last_activity_at < when)
        .values(last_activity_at=when)
    )



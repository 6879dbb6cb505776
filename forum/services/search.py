"""Full-text search: one index document per visible question, on SQLite FTS5 or PostgreSQL.

The document of a question is its title, the text of its body and of its visible
answers, and its tags. ``reindex_question`` rebuilds one document from the rows and
is called, in the same transaction, wherever searchable content or visibility
changes; its cost depends on that one question, never on the corpus.

User queries are never passed to the engine's query language: they are split into
plain words, prefixes (``word*``) and quoted phrases, and the engine query is built
from those tokens. Snippets are cut from the stored plain text, escaped, and only
then marked up with ``<mark>``.
"""
import functools
import re
import time
import unicodedata
from dataclasses import dataclass, field

from flask import current_app, has_app_context
from markupsafe import Markup, escape
from sqlalchemy import bindparam, case, column, func, literal, literal_column, select, table, text
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import defer, joinedload, selectinload

from forum.extensions import db
from forum.markup import html_to_text
from forum.models import Answer, Post, Question, Tag, post_tags
from forum.services import categories as categories_service

#: Longer queries are cut to this many characters before parsing.
MAX_QUERY_LENGTH = 300
#: At most this many words, prefixes and phrases per query.
MAX_TERMS = 12
#: At most this many words in one quoted phrase.
MAX_PHRASE_WORDS = 8
PER_PAGE = 20
SORTS = ("relevance", "newest", "votes")
#: PostgreSQL text-search configuration (stemming and stop words).
PG_CONFIG = "english"
#: Column weights for FTS5's bm25 (title, body, tags): a title match counts most.
BM25_WEIGHTS = (10.0, 1.0, 3.0)
SNIPPET_LENGTH = 240
RELATED_LIMIT = 5
#: Seconds a question's related list is kept in this process.
RELATED_TTL = 300
#: Most related lists kept in one process.
RELATED_CACHE_SIZE = 10_000
#: First key of the PostgreSQL advisory locks that serialise reindexing a question.
ADVISORY_LOCK_SPACE = 0x5EA2C4
#: Words too common to say anything when matching titles against each other.
STOP_WORDS = frozenset("""
a about after again all am an and any are as at be because been before being but by can
could did do does doing don for from get had has have having he her here hers him his how
i if im in into is it its just me more most my myself no nor not now of off on once only or
other our out over own same she should so some such than that the their them then there
these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours
""".split())
#: Operator words of the engines' query languages; typed alone they are noise.
OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "NEAR"})

_WORD = re.compile(r"[^\W_]+(\*?)")
_PHRASE = re.compile(r'"([^"]*)"')

_fts = table("search_fts", column("rowid"), column("title"), column("body"), column("tags"))
_documents = table(
    "search_documents", column("question_id"), column("title"), column("body"), column("tags"),
    column("document"),
)


# --- Parsing queries ---------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    """A word, a prefix (``word*``) or a phrase of several words, all lower case."""

    words: tuple
    prefix: bool = False

    @property
    def is_phrase(self):
        return len(self.words) > 1


def _clean(query):
    query = unicodedata.normalize("NFKC", str(query or ""))[:MAX_QUERY_LENGTH]
    return "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in query)


def _words(fragment):
    """Yield (word, is_prefix) for each word of a fragment, dropping bare operators."""
    for match in _WORD.finditer(fragment):
        word = match.group(0).rstrip("*")
        if word in OPERATOR_WORDS:
            continue
        yield word.lower(), bool(match.group(1))


def parse_query(query):
    """Split a user's query into at most MAX_TERMS terms; never raises.

    ``"a b"`` is a phrase, ``word*`` a prefix, everything else plain words; any other
    punctuation (including unbalanced quotes and engine operators) only separates words.
    """
    query = _clean(query)
    terms = []
    rest = []
    position = 0
    for match in _PHRASE.finditer(query):
        rest.append(query[position:match.start()])
        position = match.end()
        words = tuple(word for word, _ in _words(match.group(1)))[:MAX_PHRASE_WORDS]
        if words:
            terms.append(Term(words))
    rest.append(query[position:])
    for fragment in rest:
        for word, prefix in _words(fragment.replace('"', " ")):
            terms.append(Term((word,), prefix=prefix))
    unique = []
    for term in terms:
        if term not in unique:
            unique.append(term)
    return unique[:MAX_TERMS]


def title_terms(title):
    """Terms for "more like this": the title's words without stop words."""
    return [t for t in parse_query(title) if t.words[0] not in STOP_WORDS and len(t.words[0]) > 1]


def is_postgres():
    return db.session.get_bind().dialect.name == "postgresql"


def _fts5_match(terms, any_term):
    # Every token is double-quoted, and tokens hold only letters and digits, so
    # nothing the user typed can be read as FTS5 syntax.
    parts = ['"' + " ".join(t.words) + '"' + ("*" if t.prefix else "") for t in terms]
    return (" OR " if any_term else " ").join(parts)


def _tsquery(terms, any_term):
    expression = None
    for i, term in enumerate(terms):
        value = bindparam(f"term_{i}", " ".join(term.words))
        if term.is_phrase:
            part = func.phraseto_tsquery(literal(PG_CONFIG).cast(REGCONFIG), value)
        elif term.prefix:
            # A quoted lexeme with :* in to_tsquery syntax; the word has no quotes.
            part = func.to_tsquery(literal(PG_CONFIG).cast(REGCONFIG),
                                   literal("'") + value + literal("':*"))
        else:
            part = func.plainto_tsquery(literal(PG_CONFIG).cast(REGCONFIG), value)
        expression = part if expression is None else expression.op("||" if any_term else "&&")(part)
    return expression


def _engine_parts(terms, any_term):
    """Return (document id, match clause, relevance, lower-is-better?, table) for the engine."""
    if is_postgres():
        query = _tsquery(terms, any_term)
        rank = func.ts_rank(_documents.c.document, query)
        return _documents.c.question_id, _documents.c.document.op("@@")(query), rank, False, _documents
    match = text("search_fts MATCH :match").bindparams(match=_fts5_match(terms, any_term))
    rank = func.bm25(literal_column("search_fts"), *BM25_WEIGHTS)
    return _fts.c.rowid, match, rank, True, _fts


# --- Searching -----------------------------------------------------------------------

@dataclass
class Hit:
    question: Question
    relevance: float
    title_html: Markup
    snippet_html: Markup


@dataclass
class SearchResult:
    query: str
    terms: list
    hits: list = field(default_factory=list)
    page: int = 1
    has_next: bool = False


def search(query, category=None, tag=None, answered=None, sort="relevance", page=1,
           per_page=PER_PAGE, any_term=False, exclude_id=None):
    """Return one page of visible questions matching ``query``, best first.

    ``answered`` is True (has answers), False (none yet) or None (either); ``sort`` is
    relevance, newest or votes. Malformed input gives an empty result, never an error.
    """
    terms = parse_query(query) if not any_term else title_terms(query)
    page = max(1, int(page or 1))
    result = SearchResult(query=query or "", terms=terms, page=page)
    if not terms:
        return result
    doc_id, where, rank, ascending, source = _engine_parts(terms, any_term)
    stmt = select(doc_id.label("id"), rank.label("rank"), source.c.title, source.c.body).select_from(source)
    stmt = stmt.where(where)
    # The index holds visible questions only (reindex_question removes the others), so
    # the posts are joined only when a filter or sort needs their columns: reading the
    # row of every match is half the cost of a common word at 100,000 questions.
    if category is not None or answered is not None or sort in ("newest", "votes"):
        stmt = stmt.join(Question, Question.id == doc_id).where(Question.status == "visible")
    if exclude_id is not None:
        stmt = stmt.where(doc_id != exclude_id)
    if category is not None:
        stmt = stmt.where(Question.category_id.in_(categories_service.descendant_ids(category)))
    if tag is not None:
        stmt = stmt.where(doc_id.in_(select(post_tags.c.post_id).where(post_tags.c.tag_id == tag.id)))
    if answered is True:
        stmt = stmt.where(Question.answer_count > 0)
    elif answered is False:
        stmt = stmt.where(Question.answer_count == 0)
    relevance = rank.asc() if ascending else rank.desc()
    order = {
        "newest": (Question.created_at.desc(), Question.id.desc()),
        "votes": (Question.score.desc(), relevance, Question.id.desc()),
    }.get(sort, (relevance, doc_id.desc()))
    rows = db.session.execute(
        stmt.order_by(*order).limit(per_page + 1).offset((page - 1) * per_page)
    ).all()
    result.has_next = len(rows) > per_page
    rows = rows[:per_page]
    questions = _load_questions([row.id for row in rows])
    for row in rows:
        question = questions.get(row.id)
        if question is None or question.status != "visible":
            continue  # belt and braces: the index should hold visible questions only
        score = -row.rank if ascending else row.rank
        result.hits.append(Hit(
            question=question, relevance=round(float(score or 0), 3),
            title_html=highlight(row.title, terms),
            snippet_html=snippet(row.body, terms),
        ))
    return result


def _load_questions(ids):
    if not ids:
        return {}
    return {q.id: q for q in db.session.scalars(
        select(Question).where(Question.id.in_(ids))
        .options(joinedload(Question.category), selectinload(Question.tags),
                 defer(Question.body), defer(Question.body_html))
    )}


def similar_questions(title, limit=RELATED_LIMIT):
    """Return up to ``limit`` visible questions whose text is like a title being typed."""
    return [hit.question for hit in search(title, any_term=True, per_page=limit).hits]


@dataclass(frozen=True)
class Related:
    id: int
    title: str
    answer_count: int


def related_questions(question):
    """Return up to RELATED_LIMIT questions like ``question``, its category's first.

    One query at most; the answer is kept in this process for RELATED_TTL seconds.
    """
    cache = _related_cache()
    entry = cache.get(question.id)
    now = time.monotonic()
    if entry is not None and entry[0] > now:
        return entry[1]
    terms = title_terms(question.title or "")
    found = []
    if terms:
        doc_id, where, rank, ascending, source = _engine_parts(terms, any_term=True)
        same_category = case((Question.category_id == question.category_id, 0), else_=1)
        stmt = (
            select(Question.id, Question.title, Question.answer_count)
            .select_from(source).join(Question, Question.id == doc_id)
            .where(where, Question.status == "visible", Question.id != question.id)
            .order_by(same_category, rank.asc() if ascending else rank.desc(), Question.id.desc())
            .limit(RELATED_LIMIT)
        )
        found = [Related(*row) for row in db.session.execute(stmt).all()]
    if len(cache) >= RELATED_CACHE_SIZE:
        cache.clear()  # crude, but bounded: entries are cheap to recompute
    cache[question.id] = (now + RELATED_TTL, found)
    return found


def known_related(question_id):
    """Return the related questions this process holds for the question, or None if none fresh."""
    entry = _related_cache().get(question_id)
    if entry is None or entry[0] <= time.monotonic():
        return None
    return entry[1]


def _related_cache():
    if not has_app_context():
        return {}
    return current_app.extensions.setdefault("forum_search_related", {})


# --- Snippets --------------------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def _term_pattern(terms):
    """One regex finding the words that match ``terms``: a whole word, or a word starting
    with it for a prefix term or any part of three letters or more (as the engines match)."""
    parts = []
    for term in terms:
        for part in term.words:
            grows = term.prefix or len(part) >= 3
            parts.append(re.escape(part) + (r"[^\W_]*" if grows else ""))
    if not parts:
        return None
    return re.compile(r"(?<![^\W_])(?:" + "|".join(sorted(set(parts), key=len, reverse=True)) + r")(?![^\W_])",
                      re.IGNORECASE)


def highlight(plain, terms):
    """Return ``plain`` escaped, with words matching ``terms`` wrapped in <mark>."""
    plain = plain or ""
    pattern = _term_pattern(tuple(terms))
    if pattern is None:
        return escape(plain)
    out = []
    position = 0
    for match in pattern.finditer(plain):
        out.append(escape(plain[position:match.start()]))
        out.append(Markup("<mark>") + escape(match.group(0)) + Markup("</mark>"))
        position = match.end()
    out.append(escape(plain[position:]))
    return Markup("").join(out)


def snippet(plain, terms, length=SNIPPET_LENGTH):
    """Cut about ``length`` characters of ``plain`` around the first match, then highlight."""
    plain = plain or ""
    start = 0
    pattern = _term_pattern(tuple(terms))
    if pattern is not None and (first := pattern.search(plain)):
        start = max(0, first.start() - length // 3)
    if start:
        space = plain.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    piece = plain[start:start + length]
    end = start + len(piece)
    if end < len(plain):
        space = piece.rfind(" ")
        piece = piece[:space] if space > length // 2 else piece
    prefix = "… " if start else ""
    suffix = " …" if start + len(piece) < len(plain) else ""
    return Markup(escape(prefix)) + highlight(piece, terms) + Markup(escape(suffix))


# --- Keeping the index current -----------------------------------------------------------

def documents_of(question_ids):
    """Return {question id: (title, body text, tag text)} for those that are visible questions."""
    ids = sorted(set(question_ids))
    rows = db.session.execute(
        select(Post.id, Post.title, Post.body_html)
        .where(Post.id.in_(ids), Post.type == "question", Post.status == "visible")
    ).all()
    if not rows:
        return {}
    found = [row.id for row in rows]
    bodies = {row.id: [row.body_html] for row in rows}
    for question_id, html in db.session.execute(
        select(Answer.question_id, Answer.body_html)
        .where(Answer.question_id.in_(found), Answer.status == "visible").order_by(Answer.id)
    ):
        bodies[question_id].append(html)
    tag_names = {}
    for question_id, name in db.session.execute(
        select(post_tags.c.post_id, Tag.name).join(Tag, Tag.id == post_tags.c.tag_id)
        .where(post_tags.c.post_id.in_(found)).order_by(Tag.name)
    ):
        tag_names.setdefault(question_id, []).append(name)
    return {
        row.id: (row.title or "", "\n".join(html_to_text(h) for h in bodies[row.id] if h),
                 " ".join(tag_names.get(row.id, [])))
        for row in rows
    }


def reindex_question(question_id):
    """Rebuild the index document of one question from its rows (removed if not visible)."""
    if question_id is None:
        return
    db.session.flush()
    if is_postgres():
        # Serialise concurrent reindexes of one question, so the later one reads
        # what the earlier one committed.
        db.session.execute(text("SELECT pg_advisory_xact_lock(:space, :id)"),
                           {"space": ADVISORY_LOCK_SPACE, "id": question_id})
    documents = documents_of([question_id])
    if question_id not in documents:
        _related_cache().clear()
    _write([question_id], documents)


def add_answer(answer):
    """Add a newly posted answer's text to its question's document.

    The same document a rebuild gives, without reading the rest of the thread: a rebuild
    joins the visible answers' text in id order, and a new answer has the thread's highest
    id. Anything else (an answer approved later, an older one, a question not indexed)
    rebuilds the document instead.
    """
    db.session.flush()
    if answer.status != "visible":
        return
    question_id = answer.question_id
    if is_postgres():
        db.session.execute(text("SELECT pg_advisory_xact_lock(:space, :id)"),
                           {"space": ADVISORY_LOCK_SPACE, "id": question_id})
    newest = db.session.scalar(select(func.max(Answer.id)).where(
        Answer.question_id == question_id, Answer.status == "visible"))
    if newest != answer.id:
        reindex_question(question_id)
        return
    body = html_to_text(answer.body_html) if answer.body_html else ""
    if not body:
        return
    done = db.session.execute(_PG_APPEND if is_postgres() else _SQLITE_APPEND, {"id": question_id, "text": body})
    if done.rowcount != 1:
        reindex_question(question_id)


def _write(question_ids, documents):
    """Replace the documents of ``question_ids`` with ``documents`` (missing ones are removed)."""
    params = [{"id": i, "title": d[0], "body": d[1], "tags": d[2]} for i, d in documents.items()]
    if is_postgres():
        gone = [i for i in question_ids if i not in documents]
        if gone:
            db.session.execute(text("DELETE FROM search_documents WHERE question_id IN :ids")
                               .bindparams(bindparam("ids", expanding=True)), {"ids": gone})
        if params:
            db.session.execute(_PG_UPSERT, params)
        return
    db.session.execute(text("DELETE FROM search_fts WHERE rowid IN :ids")
                       .bindparams(bindparam("ids", expanding=True)), {"ids": list(question_ids)})
    if params:
        db.session.execute(
            text("INSERT INTO search_fts (rowid, title, body, tags) VALUES (:id, :title, :body, :tags)"),
            params,
        )


_PG_UPSERT = text(f"""
    INSERT INTO search_documents (question_id, title, body, tags, document)
    VALUES (:id, :title, :body, :tags,
            setweight(to_tsvector('{PG_CONFIG}', :title), 'A')
            || setweight(to_tsvector('{PG_CONFIG}', :tags), 'B')
            || setweight(to_tsvector('{PG_CONFIG}', :body), 'C'))
    ON CONFLICT (question_id) DO UPDATE
    SET title = EXCLUDED.title, body = EXCLUDED.body, tags = EXCLUDED.tags, document = EXCLUDED.document
""")


_SQLITE_APPEND = text(
    "UPDATE search_fts SET body = CASE WHEN body = '' THEN :text ELSE body || char(10) || :text END"
    " WHERE rowid = :id"
)
_PG_APPENDED = "CASE WHEN body = '' THEN CAST(:text AS text) ELSE body || E'\\n' || CAST(:text AS text) END"
_PG_APPEND = text(f"""
    UPDATE search_documents
    SET body = {_PG_APPENDED},
        document = setweight(to_tsvector('{PG_CONFIG}', title), 'A')
                   || setweight(to_tsvector('{PG_CONFIG}', tags), 'B')
                   || setweight(to_tsvector('{PG_CONFIG}', {_PG_APPENDED}), 'C')
    WHERE question_id = :id
""")


#: SQLite's full-text table, as its migrations leave it (20261128_2000, 20261129_0300).
_SQLITE_FTS = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, tags, "
    "tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3')",
    "INSERT INTO search_fts(search_fts, rank) VALUES ('automerge', 0)",
    "INSERT INTO search_fts(search_fts, rank) VALUES ('crisismerge', 64)",
)


def reindex_all(batch=500, progress=None):
    """Rebuild every document, ``batch`` questions per statement; return how many are indexed.

    On SQLite the full-text table is made anew rather than emptied: an FTS5 table whose
    rows were all deleted and added again stays slow to merge, even after 'optimize' (at a
    million posts each merge of new segments took 3 to 16 s, inside posting requests and
    the worker's merge job; a new table takes 1 ms).
    """
    db.session.flush()
    if is_postgres():
        db.session.execute(text("DELETE FROM search_documents"))
    else:
        db.session.execute(text("DROP TABLE search_fts"))
        for statement in _SQLITE_FTS:
            db.session.execute(text(statement))
    last_id, indexed = 0, 0
    while True:
        ids = list(db.session.scalars(
            select(Question.id).where(Question.status == "visible", Question.id > last_id)
            .order_by(Question.id).limit(batch)
        ))
        if not ids:
            break
        documents = documents_of(ids)
        _write(ids, documents)
        indexed += len(documents)
        last_id = ids[-1]
        if progress is not None:
            progress(indexed)
    if not is_postgres():
        # Automatic merging is off (the worker merges): leave one compact index behind.
        db.session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
    _related_cache().clear()
    return indexed


#: Pages of SQLite's full-text index written per merge step of the worker's job, and the
#: most steps per run: each step is its own short transaction, so posts never wait long.
MERGE_PAGES = 100
MERGE_STEPS = 20


def merge_index(steps=MERGE_STEPS):
    """Merge SQLite's full-text index segments a little at a time; return the steps that merged.

    Each post adds a small segment to the index (automatic merging is off, so that no
    request pays for a merge); this worker job merges them. It commits after each step,
    unlike other jobs, to keep each write lock short. PostgreSQL needs nothing of the kind.
    """
    if is_postgres():
        return 0
    merged = 0
    for _ in range(steps):
        before = db.session.scalar(text("SELECT total_changes()"))
        db.session.execute(text("INSERT INTO search_fts(search_fts, rank) VALUES ('merge', :pages)"),
                           {"pages": MERGE_PAGES})
        work = db.session.scalar(text("SELECT total_changes()")) - before
        db.session.commit()
        if work < 2:  # FTS5's documented sign that nothing was left to merge
            break
        merged += 1
    return merged

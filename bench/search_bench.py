"""Measure search latency and the time to post an answer on a loaded forum.

    .venv/bin/python bench/search_bench.py [--per-kind 100] [--answers 200] [--load [--scale 10]]

Uses the app's database (DATABASE_URL, as for `flask`); run it once per engine. With
--load, the reference data set is first loaded by bench/load_dataset.py (``--scale``
copies) and the search index rebuilt.

Searches: a fixed, deterministic set of queries built from the loaded titles (the
questions are read in id order and the choices come from a seeded generator, so the
same data gives the same queries on both engines), of several kinds: common and rare
words, two words, quoted phrases, prefixes, category and tag filters, unanswered and
answered, sorts by newest and votes, and "similar questions" for a typed title. Each
kind is timed through ``search.search`` / ``search.similar_questions``, the services the
views call (the hits' questions loaded and their snippets built), after a warm-up with
other queries. Answers: ``answers.post_answer``, as the answer view calls it, each
committed on its own (the search document of its question rebuilt in the same
transaction). The answers are left in the database, which is a benchmark copy.
"""
import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a file, not only with -m

from flask import g  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from forum.extensions import db  # noqa: E402
from forum.models import Answer, Category, Question, Tag, User, post_tags  # noqa: E402
from forum.services import answers, questions, search  # noqa: E402
from forum.services.posting import Guest  # noqa: E402

#: Visible questions whose titles the queries are drawn from (the first, by id).
SAMPLE_QUESTIONS = 5000


class Corpus:
    """What the queries are made of: titles' words by frequency, categories and tags."""

    def __init__(self):
        rows = db.session.execute(
            select(Question.id, Question.title).where(Question.status == "visible")
            .order_by(Question.id).limit(SAMPLE_QUESTIONS)
        ).all()
        self.titles = [title for _, title in rows]
        self.title_words = [[t.words[0] for t in search.title_terms(title) if len(t.words[0]) > 2]
                            for title in self.titles]
        self.title_words = [words for words in self.title_words if len(words) >= 2]
        counts = Counter(word for words in self.title_words for word in set(words))
        ranked = [word for word, _ in counts.most_common()]
        self.common = ranked[:20]
        self.rare = ranked[200:2000] or ranked[-100:]
        self.categories = list(db.session.scalars(select(Category).order_by(Category.id)))
        ids = [question_id for question_id, _ in rows]
        self.tags = list(db.session.scalars(
            select(Tag).join(post_tags, post_tags.c.tag_id == Tag.id)
            .where(post_tags.c.post_id.in_(ids[:500])).distinct().order_by(Tag.id)
        ))


def query_kinds(corpus, count, seed):
    """Return {kind: [(label, callable)]}: ``count`` deterministic searches of each kind."""
    rng = random.Random(seed)

    def words():
        return rng.choice(corpus.title_words)

    def pair():
        chosen = words()
        start = rng.randrange(len(chosen) - 1)
        return chosen[start], chosen[start + 1]

    def make(kind):
        if kind == "common word":
            q = rng.choice(corpus.common)
            return q, lambda: search.search(q)
        if kind == "rare word":
            q = rng.choice(corpus.rare)
            return q, lambda: search.search(q)
        if kind == "two words":
            q = " ".join(pair())
            return q, lambda: search.search(q)
        if kind == "phrase":
            first, second = pair()
            q = f'"{first} {second}"'
            return q, lambda: search.search(q)
        if kind == "prefix":
            q = rng.choice(corpus.common + corpus.rare[:50])[:4] + "*"
            return q, lambda: search.search(q)
        if kind == "word + category":
            q, category = rng.choice(corpus.common + corpus.rare[:50]), rng.choice(corpus.categories)
            return f"{q} in {category.slug}", lambda: search.search(q, category=category)
        if kind == "word + tag":
            q, tag = rng.choice(corpus.common), rng.choice(corpus.tags)
            return f"{q} tagged {tag.name}", lambda: search.search(q, tag=tag)
        if kind == "unanswered":
            q = rng.choice(corpus.common + corpus.rare[:50])
            return q, lambda: search.search(q, answered=False)
        if kind == "sort newest":
            q = rng.choice(pair())
            return q, lambda: search.search(q, sort="newest")
        if kind == "sort votes":
            q = rng.choice(corpus.common + corpus.rare[:50])
            return q, lambda: search.search(q, sort="votes")
        if kind == "page 3":
            q = rng.choice(corpus.common)
            return q, lambda: search.search(q, page=3)
        if kind == "similar (typed title)":
            q = rng.choice(corpus.titles)
            return q, lambda: search.similar_questions(q)
        raise ValueError(kind)

    kinds = ("common word", "rare word", "two words", "phrase", "prefix", "word + category", "word + tag",
             "unanswered", "sort newest", "sort votes", "page 3", "similar (typed title)")
    return {kind: [make(kind) for _ in range(count)] for kind in kinds}


def percentiles(samples):
    """Return (median, 99th percentile, max) of ``samples`` in milliseconds (nearest rank)."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * 99 // 100))  # ceil(0.99 n)
    return statistics.median(ordered), ordered[rank - 1], ordered[-1]


def time_searches(kinds):
    """Run every search once; return {kind: [ms]}, the hits found and {kind: [CPU ms of this process]}.

    SQLite runs inside this process, so its CPU time is the search's own cost whatever
    else the machine is doing; PostgreSQL's work is in the server, so there it is the
    client's share only.
    """
    timings, found, cpu = {}, {}, {}
    for kind, runs in kinds.items():
        samples, hits, cpu[kind] = [], 0, []
        for _, run in runs:
            started, started_cpu = time.perf_counter(), time.process_time()
            result = run()
            samples.append((time.perf_counter() - started) * 1000)
            cpu[kind].append((time.process_time() - started_cpu) * 1000)
            hits += len(result.hits) if hasattr(result, "hits") else len(result)
            db.session.rollback()
        timings[kind], found[kind] = samples, hits
    return timings, found, cpu


def time_answers(count, seed):
    """Post ``count`` answers as members, each committed; return milliseconds per answer."""
    rng = random.Random(seed)
    g.sqlite_deferred_begin = False  # as a POST request: SQLite's BEGIN IMMEDIATE
    last = db.session.scalar(select(func.max(Question.id)).where(Question.status == "visible"))
    first = db.session.scalar(select(func.min(Question.id)).where(Question.status == "visible"))
    members = list(db.session.scalars(select(User.id).order_by(User.id).limit(2000)))
    stamp = int(time.time())
    samples, visible = [], 0
    for i in range(count):
        question_id = db.session.scalar(
            select(Question.id).where(Question.id >= rng.randint(first, last), Question.status == "visible")
            .order_by(Question.id).limit(1)
        )
        author = db.session.get(User, rng.choice(members))
        db.session.commit()  # the lookups above are not part of the timing
        started = time.perf_counter()
        question = questions.get_question(question_id)
        answer = answers.post_answer(
            question, author, f"Benchmark answer {stamp}-{i}: a routine helped me, and talking to "
            f"someone I trust. Sleep, walks and writing things down helped with the worry too.",
            guest=Guest(), token=f"bench-{stamp}-{i:05d}-answer", ip_address="192.0.2.1",
        )
        db.session.commit()
        samples.append((time.perf_counter() - started) * 1000)
        visible += db.session.scalar(select(Answer.status).where(Answer.id == answer.id)) == "visible"
        db.session.commit()
    return samples, visible


def describe_machine():
    cores = os.cpu_count()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{cores} CPU cores, load average {load} (1, 5, 15 min)"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--load", action="store_true", help="Load the data set and reindex first.")
    parser.add_argument("--scale", type=int, default=10, help="Copies of the data set to load (with --load).")
    parser.add_argument("--per-kind", type=int, default=100, help="Searches timed per kind of query (0: none).")
    parser.add_argument("--answers", type=int, default=200, help="Answers posted and timed (0: none).")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    from forum import create_app

    app = create_app()
    with app.app_context():
        if args.load:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            import load_dataset

            load_dataset.load(scale=args.scale, progress=load_dataset.StderrProgress())
            started = time.monotonic()
            indexed = search.reindex_all(batch=2000)
            db.session.commit()
            print(f"Indexed {indexed:,} questions in {time.monotonic() - started:.1f} s.")
        g.sqlite_deferred_begin = True  # searches read, as GET requests do (a deferred BEGIN on SQLite)
        engine = db.engine.dialect.name
        total = db.session.scalar(select(func.count(Question.id)).where(Question.status == "visible"))
        answer_total = db.session.scalar(select(func.count(Answer.id)))
        if not total:
            print("No questions to search: load the data set first (--load).", file=sys.stderr)
            return 1
        corpus = Corpus()
        print(f"{engine}: {total:,} visible questions, {answer_total:,} answers; {describe_machine()}")
        kinds = query_kinds(corpus, args.per_kind, seed=args.seed) if args.per_kind > 0 else {}
        if kinds:
            time_searches(query_kinds(corpus, max(5, args.per_kind // 5), seed=args.seed + 1000))  # warm-up
        timings, found, cpu = time_searches(kinds)
        if kinds:
            print()
            print(f"| {engine} search | example | median ms | p99 ms | max ms | hits/query | median CPU ms |")
            print("|---|---|---:|---:|---:|---:|---:|")
        every = []
        for kind, samples in timings.items():
            median, p99, worst = percentiles(samples)
            every.extend(samples)
            example = kinds[kind][0][0].replace("|", "/")
            example = example if len(example) <= 40 else example[:37] + "…"
            print(f"| {kind} | `{example}` | {median:.1f} | {p99:.1f} | {worst:.1f} | "
                  f"{found[kind] / len(samples):.1f} | {statistics.median(cpu[kind]):.1f} |")
        if every:
            median, p99, worst = percentiles(every)
            all_cpu = statistics.median([ms for samples in cpu.values() for ms in samples])
            print(f"| **all {len(every)} searches** | | **{median:.1f}** | **{p99:.1f}** | {worst:.1f} | | "
                  f"{all_cpu:.1f} |")
        if args.answers:
            samples, visible = time_answers(args.answers, seed=args.seed)
            median, p99, worst = percentiles(samples)
            print()
            print(f"{engine}: post an answer and commit (search document rebuilt): median {median:.1f} ms, "
                  f"p99 {p99:.1f} ms, max {worst:.1f} ms ({len(samples)} answers, {visible} visible)")
        print(f"after the run: {describe_machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Measure search latency: median and p99 over queries drawn from the loaded questions.

    .venv/bin/python bench/search_bench.py [--load] [--scale 10] [--queries 500]

Uses the app's database (DATABASE_URL, as for `flask`). With --load, the reference
data set is first loaded by bench/load_dataset.py (``--scale`` copies) and the search
index rebuilt; run it once per engine, e.g. with DATABASE_URL set to PostgreSQL.
"""
import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a file, not only with -m

from sqlalchemy import select  # noqa: E402

from forum.extensions import db  # noqa: E402
from forum.models import Question  # noqa: E402
from forum.services import search  # noqa: E402


def sample_queries(count, seed=1):
    """Return ``count`` queries: one or two title words, some as prefixes or phrases."""
    rng = random.Random(seed)
    titles = list(db.session.scalars(select(Question.title).where(Question.status == "visible").limit(5000)))
    words = [w for t in titles for w in search.title_terms(t)]
    queries = []
    for _ in range(count):
        a, b = rng.choice(words).words[0], rng.choice(words).words[0]
        queries.append(rng.choice([a, f"{a} {b}", f"{a[:4]}*", f'"{a} {b}"']))
    return queries


def timed(queries, run):
    samples = []
    for query in queries:
        started = time.perf_counter()
        run(query)
        samples.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.99) - 1)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--load", action="store_true", help="Load the data set and reindex first.")
    parser.add_argument("--scale", type=int, default=10, help="Copies of the data set to load (with --load).")
    parser.add_argument("--queries", type=int, default=500)
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
        engine = db.engine.dialect.name
        queries = sample_queries(args.queries)
        if not queries:
            print("No questions to search: load the data set first (--load).", file=sys.stderr)
            return 1
        runs = {
            "search (relevance)": lambda q: search.search(q),
            "search (newest)": lambda q: search.search(q, sort="newest"),
            "similar (any word)": lambda q: search.similar_questions(q + " question help"),
        }
        for name, run in runs.items():
            median, p99 = timed(queries, run)
            print(f"{engine:10} {name:20} median {median:7.1f} ms   p99 {p99:7.1f} ms   ({len(queries)} queries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make bench`: the reference pages under wrk, beside Question2Answer's figures on the same data.

    .venv/bin/python bench/run.py [--engine sqlite|postgresql|both] [--full] [--scale N | --million]

Loads the reference data set once per engine into instance/bench/ (bench_data.py), serves
it with gunicorn as production does (FORUM_ENV=production, a SECRET_KEY made for the
run, FORUM_BENCH=1 so rate limits are off), and drives each reference page from loopback
with ``wrk -t2 -c16 --latency``, logged out and logged in, then posts answers through the
real form with 1 and 4 concurrent posters on a scratch copy of the database. Prints the
table and writes it to instance/bench/results-<engine>[-x<N>].md. Quick form: one
10-second run per row; --full: the reference protocol, 3 x 20 s, median of each figure.
"""
import argparse
import os
import platform
import secrets
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_data  # noqa: E402
import bench_http  # noqa: E402
from bench_data import BENCH_DIR, ROOT, Target, log  # noqa: E402
from bench_measure import AppProbe  # noqa: E402

#: ../shared/bench/README.md: Question2Answer 1.8.8, wrk -t2 -c16 -d20s, median of 3, logged out.
#: page -> (requests/s, p50 ms, p99 ms, SQL queries)
Q2A = {
    "home": (159, 101, 137, 9), "q10": (171, 93, 126, 15), "q53": (121, 132, 172, 15),
    "q119": (110, 143, 202, 15), "search": (84, 189, 255, 7), "category": (212, 75, 99, 9),
    "user": (339, 47, 64, 14), "post": (6, 170, 240, None), "post x4": (3, None, None, None),
}
#: Data-set indices of the reference questions (../shared/bench/README.md).
QUESTIONS = {"q10": 100, "q53": 1047, "q119": 6976}
READER = 1  # data-set member index of the logged-in reader (member 0 is the profile page's)
POSTERS = (2, 3, 4, 5)
DEEP_PAGE = 300  # of 334 at the reference size: OFFSET 8,970


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--full", action="store_true", help="reference protocol: 3 runs x 20 s, medians")
    parser.add_argument("--duration", type=int, help="seconds per run (default 10, or 20 with --full)")
    parser.add_argument("--runs", type=int, help="runs per row (default 1, or 3 with --full)")
    parser.add_argument("--scale", type=int, default=1, help="copies of the data set (1: reference size)")
    parser.add_argument("--million", action="store_true", help="enough copies for 1,000,000 posts")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                        help="gunicorn sync workers (default 2 x cores + 1)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server (a database per size is created there)")
    parser.add_argument("--only", help="comma-separated page names to run (for trying things out)")
    parser.add_argument("--reload", action="store_true", help="load the data set again")
    parser.add_argument("--prepare-only", action="store_true", help="load the databases, measure nothing")
    args = parser.parse_args(argv)
    args.duration = args.duration or (20 if args.full else 10)
    args.runs = args.runs or (3 if args.full else 1)
    if args.million:
        args.scale = bench_data.scale_for_posts(1_000_000, bench_data.count_posts(bench_data.dataset_path()))
    return args


def base_env(secret_key):
    env = dict(os.environ, FORUM_ENV="production", SECRET_KEY=secret_key, FORUM_BENCH="1")
    for key in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "FLASK_DEBUG"):
        env.pop(key, None)
    return env


def median_of(results):
    """The median of each figure over the runs (the reference protocol's 'median of 3')."""
    merged = {}
    for key in ("rps", "p50", "p99"):
        values = [r[key] for r in results if r[key] is not None]
        merged[key] = statistics.median(values) if values else None
    merged["requests"] = sum(r["requests"] for r in results)
    merged["errors"] = sum(r["non2xx"] + r["socket_errors"] for r in results)
    merged["wrk_notes"] = [line.strip() for r in results for line in r["output"].splitlines()
                           if "Socket errors" in line or "Non-2xx" in line]
    return merged


def measure(server, args, path, headers=(), script=None, env=None, threads=2, connections=16, warm=True):
    if warm:
        bench_http.run_wrk(args.port, path, 2, threads, connections, headers, script, env)
    since, cpu = server.log_offset(), server.cpu_seconds()
    results = [bench_http.run_wrk(args.port, path, args.duration, threads, connections, headers, script, env)
               for _ in range(args.runs)]
    row = median_of(results)
    # Workers' CPU per answered request: what a page costs, however busy the machine is.
    row["cpu_ms"] = (server.cpu_seconds() - cpu) * 1000 / row["requests"] if row["requests"] else None
    row["log_errors"] = server.log_errors(since)
    row["rss"] = server.worker_rss_mb()
    return row


def page_rows(server, probe, args, pages, reader_cookies):
    rows = []
    for name, path in pages:
        for view, cookies in (("logged out", None), ("logged in", reader_cookies)):
            headers = [f"Cookie: {bench_http.cookie_header(cookies)}"] if cookies else []
            log(f"  {name:10} {view:10} {path}")
            bench_http.warm(args.port, path, cookies, 2 * args.workers + 6)
            row = measure(server, args, path, headers, warm=False)
            row.update(page=name, view=view, path=path, queries=probe.count_queries(path, cookies is not None),
                       weight=bench_http.page_weight(args.port, path, cookies)[1],
                       per_page=probe.answers_per_page if name in QUESTIONS else None)
            rows.append(row)
    return rows


def post_rows(target, env, args, probe):
    """Answers posted through the form, 1 then 4 posters at once, on a scratch copy."""
    url = target.scratch_copy()
    server = bench_http.Server(dict(env, DATABASE_URL=url), args.workers, args.port,
                               BENCH_DIR / f"gunicorn-{target.engine}-post.log").start()
    rows = []
    try:
        question_path = probe.paths["q10"]
        posters = []
        for index in POSTERS:
            cookies = bench_http.log_in(args.port, probe.member(index), "benchpass")
            page = bench_http.fetch(args.port, question_path, cookies)
            action, fields = bench_http.form_fields(page.text, r"/answers$")
            for name in ("body", "submission_token", "crisis_edit", "crisis_ack", "anonymous"):
                fields.pop(name, None)
            posters.append(f"{bench_http.cookie_header(cookies)}\t{urlencode(fields)}\t{action}")
        script = ROOT / "bench" / "wrk" / "post_answer.lua"
        for name, count in (("post", 1), ("post x4", 4)):
            posters_file = BENCH_DIR / "posters.tsv"
            posters_file.write_text("\n".join(posters[:count]) + "\n")
            log(f"  {name:10} {count} poster(s)  POST {action}")
            wrk_env = {"BENCH_POSTERS": str(posters_file), "BENCH_NONCE": secrets.token_hex(6)}
            bench_http.run_wrk(args.port, question_path, 2, count, count, (), script, wrk_env)  # warm-up
            wrk_env["BENCH_NONCE"] = secrets.token_hex(6)
            before = probe.count_answers(url)
            row = measure(server, args, question_path, script=script, threads=count, connections=count,
                          env=wrk_env, warm=False)
            row["created"], row["queued"] = probe.count_answers(url, since=before)
            row.update(page=name, view="logged in", path=f"POST {action}", queries=None, weight=None,
                       per_page=None)
            rows.append(row)
    finally:
        server.stop()
        probe.dispose(url)
        target.drop_scratch()
    return rows


def fmt(value, digits=0, suffix=""):
    if value is None:
        return ""
    return f"{value:,.{digits}f}{suffix}"


def ratio(ours, theirs, invert=False):
    if not ours or not theirs:
        return ""
    return f"{(theirs / ours if invert else ours / theirs):.1f}×"


def table(rows):
    lines = ["| page | view | answers/page | req/s | p50 ms | p99 ms | CPU ms/req | SQL | KB gz | MB/worker "
             "| Q2A req/s | Q2A p50 | Q2A p99 | Q2A SQL | req/s ours/Q2A | p50 Q2A/ours | p99 Q2A/ours | errors |",
             "|" + "---|" * 18]
    for row in rows:
        q2a = Q2A.get(row["page"], (None,) * 4)
        per_page = f"{row['per_page']} (Q2A 10)" if row["per_page"] else ""
        errors = row["errors"] + len(row["log_errors"])
        if "created" in row:
            errors_text = f"{errors} ({row['created']} posted, {row['queued']} queued)"
        else:
            errors_text = str(errors)
        lines.append(
            f"| {row['page']} | {row['view']} | {per_page} | {fmt(row['rps'])} | {fmt(row['p50'], 1)} "
            f"| {fmt(row['p99'], 1)} | {fmt(row['cpu_ms'], 1)} | {fmt(row['queries'])} | {fmt(row['weight'] and row['weight'] / 1024, 1)} "
            f"| {fmt(row['rss'])} | {fmt(q2a[0])} | {fmt(q2a[1])} | {fmt(q2a[2])} | {fmt(q2a[3])} "
            f"| {ratio(row['rps'], q2a[0])} | {ratio(row['p50'], q2a[1], True)} | {ratio(row['p99'], q2a[2], True)} "
            f"| {errors_text} |")
    return "\n".join(lines)


def targets(rows):
    """Issue 11's targets, each with met / not met."""
    by = {(r["page"], r["view"]): r for r in rows}
    checks = []
    for page in QUESTIONS:
        out, inn = by.get((page, "logged out")), by.get((page, "logged in"))
        q2a = Q2A[page]
        if out:
            checks.append((f"{page} logged out: ≥ 6× Q2A req/s ({6 * q2a[0]})", out["rps"] >= 6 * q2a[0],
                           f"{out['rps']:.0f}"))
            checks.append((f"{page} logged out: p99 < ¼ of Q2A p50 ({q2a[1] / 4:.0f} ms)",
                           out["p99"] < q2a[1] / 4, f"{out['p99']:.1f} ms"))
        if inn:
            checks.append((f"{page} logged in: ≥ 2× Q2A req/s ({2 * q2a[0]})", inn["rps"] >= 2 * q2a[0],
                           f"{inn['rps']:.0f}"))
    if (search := by.get(("search", "logged out"))):
        checks.append(("search p50 < 20 ms", search["p50"] < 20, f"{search['p50']:.1f} ms"))
    for name in ("post", "post x4"):
        if (row := by.get((name, "logged in"))):
            clean = row["errors"] == 0 and not row["log_errors"]
            checks.append((f"{name}: ≥ 5× Q2A ({5 * Q2A[name][0]}/s), no errors or lock errors",
                           row["rps"] >= 5 * Q2A[name][0] and clean,
                           f"{row['rps']:.1f}/s, {row['errors']} errors, {len(row['log_errors'])} in log"))
    if (q10 := by.get(("q10", "logged out"))):
        checks.append(("question page < 30 KB gzipped (HTML + CSS + JS)", q10["weight"] < 30 * 1024,
                       f"{q10['weight'] / 1024:.1f} KB"))
    return "\n".join(f"- {'met' if ok else 'NOT met'}: {what} — {figure}" for what, ok, figure in checks)


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    memory = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return f"{os.cpu_count()} × {cpu}, {memory / 1024 / 1024:.0f} GB RAM, {platform.system()} {platform.release()}"


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def bench_engine(engine, args, env, command):
    target = Target(engine, args.scale, args.pg_url)
    target.ensure_loaded(env, reload=args.reload)
    probe = AppProbe(target.url, env)
    pages = probe.pages(QUESTIONS, DEEP_PAGE, args.scale)
    if args.only:
        wanted = set(args.only.split(","))
        pages = [(name, path) for name, path in pages if name in wanted]
    started, load_before = datetime.now(timezone.utc), load_average()
    log(f"{target}: gunicorn, {args.workers} sync workers, FORUM_ENV=production, FORUM_BENCH=1 "
        "(rate limits off for this run; posts carry fresh one-time tokens, so no duplicate check applies)")
    rows = []
    server = bench_http.Server(dict(env, DATABASE_URL=target.url), args.workers, args.port,
                               BENCH_DIR / f"gunicorn-{engine}.log").start()
    try:
        reader = bench_http.log_in(args.port, probe.member(READER), "benchpass")
        probe.log_in_client(probe.member(READER), "benchpass")
        rows += page_rows(server, probe, args, pages, reader)
    finally:
        server.stop()
    probe.dispose()
    if not args.only or {"post", "post x4"} & set(args.only.split(",")):
        rows += post_rows(target, env, args, probe)
    header = (f"## {target} — {probe.version}\n\n"
              f"- date: {started:%Y-%m-%d %H:%M} UTC; machine: {machine()}\n"
              f"- command: `{command}`; wrk -t2 -c16 -d{args.duration}s --latency, "
              f"{args.runs} run(s) per row{' (median)' if args.runs > 1 else ''}, "
              f"after {2 * args.workers + 6} concurrent warm-up requests per page (2 s of wrk for posts)\n"
              f"- server: gunicorn {args.workers} sync workers (2 × cores + 1), FORUM_ENV=production, "
              f"FORUM_BENCH=1 (rate limits off)\n"
              f"- data: {probe.counts}\n"
              f"- load average before: {load_before}; after: {load_average()} (other work on the machine)\n")
    problems = [line for row in rows for line in row["log_errors"]]
    problems += [f"{row['page']} ({row['view']}), wrk: {note}" for row in rows for note in row["wrk_notes"]]
    text = (header + "\n" + table(rows) + "\n\nTargets (issue 11):\n\n" + targets(rows) + "\n"
            + ("\nErrors (server log, wrk):\n\n" + "\n".join(f"    {line}" for line in problems[:20]) + "\n"
               if problems else ""))
    suffix = "" if args.scale == 1 else f"-{bench_data.size_tag(args.scale)}"
    (BENCH_DIR / f"results-{engine}{suffix}.md").write_text(text)
    print(text, flush=True)
    return rows


def main(argv=None):
    args = parse_args(argv)
    bench_http.ensure_wrk()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    env = base_env(secrets.token_hex(32))
    command = "make bench" + (" FULL=1" if args.full else "") if args.scale == 1 else "make bench-scale"
    print("FORUM_BENCH=1: rate limits are off for this run (the served app says so in its log).", flush=True)
    started = time.monotonic()
    failed = False
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    if args.prepare_only:
        for engine in engines:
            Target(engine, args.scale, args.pg_url).ensure_loaded(env, reload=args.reload)
        return 0
    for engine in engines:
        rows = bench_engine(engine, args, env, command)
        failed |= any(row["errors"] or row["log_errors"] for row in rows)
    log(f"Done in {time.monotonic() - started:.0f} s; results in {BENCH_DIR}/results-*.md")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Load the benchmark data set into an empty forum database by bulk inserts.

    .venv/bin/python bench/load_dataset.py [DATASET.jsonl] [--scale N] [--force] [--jobs J]

Without a path, the data set is generated into a temporary file by
$FORUM_SHARED_DIR/bench/gen_dataset.py. The database is the app's (DATABASE_URL,
as for `flask`). The rules live in forum/services/bulk.py; this is the command.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a file, not only with -m

from flask import current_app  # noqa: E402

from forum.extensions import db  # noqa: E402
from forum.services import bulk  # noqa: E402
from forum.services.errors import Conflict  # noqa: E402


def generate_dataset(shared_dir, path):
    """Write the reference data set to ``path`` with the shared generator."""
    generator = Path(shared_dir) / "bench" / "gen_dataset.py"
    if not generator.is_file():
        raise FileNotFoundError(f"{generator} not found: set FORUM_SHARED_DIR or pass the data set's path")
    subprocess.run([sys.executable, str(generator), str(path)], check=True, stderr=subprocess.DEVNULL)


def read(path=None):
    """Return the Dataset at ``path``, or a freshly generated reference data set."""
    if path is not None:
        with open(path, encoding="utf-8") as handle:
            return bulk.read_dataset(handle)
    with tempfile.TemporaryDirectory(prefix="forum-bench-") as tmp:
        generated = Path(tmp) / "dataset.jsonl"
        generate_dataset(current_app.config["FORUM_SHARED_DIR"], generated)
        with open(generated, encoding="utf-8") as handle:
            return bulk.read_dataset(handle)


def load(path=None, scale=1, force=False, jobs=1, progress=None):
    """Load the data set (``scale`` copies) in one transaction and commit; return the counts.

    Needs an app context. :raise Conflict: see ``bulk.load``.
    """
    data = read(path)
    try:
        stats = bulk.load(data, scale=scale, force=force, jobs=jobs, progress=progress)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    bulk.vacuum_after_load()
    return stats


class StderrProgress:
    """One status line per stage on stderr, redrawn in place on a terminal."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.started = time.monotonic()
        self.live = stream.isatty()

    def __call__(self, stage, done, total):
        line = f"{time.monotonic() - self.started:7.1f}s  {stage}: {done:,}/{total:,}"
        if self.live:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
        elif done >= total:
            self.stream.write(line + "\n")
        self.stream.flush()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", nargs="?", type=Path,
                        help="the data set (JSON lines); generated when omitted")
    parser.add_argument("--scale", type=int, default=1, metavar="N",
                        help="load N independent copies (N=10 gives 100,000 questions)")
    parser.add_argument("--force", action="store_true",
                        help="load even though the forum already has posts")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="J",
                        help="processes rendering Markdown (default: one per CPU)")
    args = parser.parse_args(argv)
    if args.scale < 1:
        parser.error("--scale must be at least 1")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    from forum import create_app

    app = create_app()
    started = time.monotonic()
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=True)
        print(f"Loading {'the generated data set' if args.dataset is None else args.dataset} "
              f"x{args.scale} into {url}", file=sys.stderr)
        try:
            stats = load(args.dataset, scale=args.scale, force=args.force, jobs=args.jobs,
                         progress=StderrProgress())
        except Conflict as error:
            print(f"Not loaded: {error.message}", file=sys.stderr)
            return 1
        except (OSError, ValueError, subprocess.CalledProcessError) as error:
            print(f"Not loaded: {error}", file=sys.stderr)
            return 1
    elapsed = time.monotonic() - started
    print(", ".join(f"{value:,} {key}" for key, value in stats.items()) + f" in {elapsed:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

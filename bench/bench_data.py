"""The benchmark's databases: the reference data set loaded once per engine and size, then reused.

Under ``instance/bench/``: ``dataset.jsonl`` (generated once and checked against the
reference checksum), ``forum-<size>.db`` for SQLite, and ``<engine>-<size>.loaded``, the
marker written only after the load and the search index are complete. PostgreSQL
databases are named ``forum_bench`` (1x) and ``forum_bench_x<N>`` on the server of
``--pg-url``. A database without its marker (an interrupted load) is rebuilt.
"""
import hashlib
import json
import math
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "instance" / "bench"
PYTHON = ROOT / ".venv" / "bin" / "python"
FLASK = ROOT / ".venv" / "bin" / "flask"
#: From ../shared/bench/README.md: the data set the Question2Answer figures were measured on.
DATASET_SHA256 = "5994481b09f781c8cc6f202eff5119f9b8ea45e823538a80e8e34522550355d2"
#: Posts (questions + answers + comments) in one copy of the data set; checked against the file.
POSTS_PER_COPY = 10_000 + 40_000 + 20_000


def scale_for_posts(target, per_copy=POSTS_PER_COPY):
    """Copies of the data set needed for at least ``target`` posts (1,000,000 -> 15)."""
    return math.ceil(target / per_copy)


def size_tag(scale):
    return "1x" if scale == 1 else f"x{scale}"


def log(message):
    print(message, file=sys.stderr, flush=True)


def shared_dir():
    return Path(os.environ.get("FORUM_SHARED_DIR") or ROOT.parent / "shared").resolve()


def dataset_path():
    """Generate the reference data set once; refuse a file that is not the reference one."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / "dataset.jsonl"
    if not path.exists():
        generator = shared_dir() / "bench" / "gen_dataset.py"
        if not generator.is_file():
            raise SystemExit(f"{generator} not found: set FORUM_SHARED_DIR to the folder holding bench/.")
        log(f"Generating the reference data set into {path} ...")
        tmp = path.with_suffix(".tmp")
        subprocess.run([sys.executable, str(generator), str(tmp)], check=True, stderr=subprocess.DEVNULL)
        tmp.rename(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != DATASET_SHA256:
        raise SystemExit(f"{path} is not the reference data set (sha256 {digest}); delete it to regenerate.")
    return path


def migration_digests():
    """{file name: sha256} of the migration files.

    A migration that changed after it was applied to a benchmark database keeps its
    revision, so `flask db upgrade` would not apply the change: such a database is
    loaded again. Migrations added since the load are simply applied.
    """
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted((ROOT / "migrations" / "versions").glob("*.py"))}


def count_posts(path):
    kinds = {"q": 0, "a": 0, "c": 0}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            kind = json.loads(line).get("t") if line.strip() else None
            if kind in kinds:
                kinds[kind] += 1
    return sum(kinds.values())


class Target:
    """One benchmark database: an engine at a size."""

    def __init__(self, engine, scale, pg_url):
        self.engine, self.scale, self.pg_url = engine, scale, pg_url.rstrip("/")
        tag = size_tag(scale)
        self.marker = BENCH_DIR / f"{engine}-{tag}.loaded"
        if engine == "sqlite":
            self.path = BENCH_DIR / f"forum-{tag}.db"
            self.url = f"sqlite:///{self.path}"
        else:
            self.name = "forum_bench" if scale == 1 else f"forum_bench_x{scale}"
            self.url = f"{self.pg_url}/{self.name}"

    def __str__(self):
        return f"{self.engine} {size_tag(self.scale)}"

    # --- PostgreSQL administration (through the server's "postgres" database) ---
    def _admin(self, sql):
        with psycopg.connect(f"{self.pg_url}/postgres", autocommit=True) as conn:
            return conn.execute(sql).fetchall() if sql.lstrip().upper().startswith("SELECT") else conn.execute(sql)

    def _pg_exists(self, name=None):
        return bool(self._admin(f"SELECT 1 FROM pg_database WHERE datname = '{name or self.name}'"))

    def _pg_drop(self, name):
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # --- state ---
    def is_loaded(self):
        if not self.marker.exists():
            return False
        applied = json.loads(self.marker.read_text()).get("migrations") or {}
        current = migration_digests()
        if not applied or any(current.get(name) != digest for name, digest in applied.items()):
            log(f"{self}: a migration applied to it has changed since the load: loading again")
            return False
        if self.engine == "sqlite":
            return self.path.exists()
        return self._pg_exists()

    def reset(self):
        """Remove what an earlier, unfinished load left."""
        self.marker.unlink(missing_ok=True)
        if self.engine == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        else:
            self._pg_drop(self.name)
            self._admin(f'CREATE DATABASE "{self.name}"')

    def ensure_loaded(self, env, reload=False):
        """Load the data set (``scale`` copies) and build the search index, once."""
        if self.is_loaded() and not reload:
            log(f"{self}: reusing the loaded database {self.url} ({self.marker.name})")
            # Migrations added since the load apply in place, as on a live site.
            subprocess.run([str(FLASK), "db", "upgrade"], cwd=ROOT, check=True, stderr=subprocess.DEVNULL,
                           env=dict(env, DATABASE_URL=self.url, FLASK_APP="wsgi"))
            marker = json.loads(self.marker.read_text())
            marker["migrations"] = migration_digests()
            self.marker.write_text(json.dumps(marker, indent=1) + "\n")
            self.confirm_members()
            return
        data = dataset_path()
        digests = migration_digests()
        started = time.monotonic()
        self.reset()
        env = dict(env, DATABASE_URL=self.url, FLASK_APP="wsgi")
        log(f"{self}: loading the reference data set x{self.scale} into {self.url} (once; minutes) ...")
        subprocess.run([str(FLASK), "db", "upgrade"], cwd=ROOT, env=env, check=True)
        subprocess.run([str(PYTHON), "bench/load_dataset.py", str(data), "--scale", str(self.scale)],
                       cwd=ROOT, env=env, check=True)
        subprocess.run([str(FLASK), "forum", "reindex", "--batch", "2000"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        self.confirm_members()
        elapsed = time.monotonic() - started
        self.marker.write_text(json.dumps({
            "database": self.url, "scale": self.scale, "dataset_sha256": DATASET_SHA256,
            "loaded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(elapsed), "migrations": digests,
        }, indent=1) + "\n")
        log(f"{self}: loaded and indexed in {elapsed:.0f} s")

    def confirm_members(self):
        """Mark the loaded members' addresses confirmed, as on the site they came from.

        The loader leaves them unconfirmed, and an unconfirmed member cannot log in; the
        benchmark logs in as some of them. Idempotent.
        """
        from sqlalchemy import create_engine, text

        from forum.config import normalise_database_url

        engine = create_engine(normalise_database_url(self.url))
        try:
            with engine.begin() as conn:
                conn.execute(text("UPDATE users SET email_verified_at = created_at "
                                  "WHERE email_verified_at IS NULL AND import_key LIKE 'bench%'"))
        finally:
            engine.dispose()

    # --- the scratch copy the posting rows write into ---
    def scratch_copy(self):
        """Return the URL of a fresh copy of the loaded database, for the rows that write.

        The reference database is never written to, so every run reads the same data.
        The server must not be connected to the original while PostgreSQL copies it.
        """
        if self.engine == "sqlite":
            import sqlite3

            copy = BENCH_DIR / f"scratch-{size_tag(self.scale)}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
            with sqlite3.connect(self.path) as source, sqlite3.connect(copy) as target:
                source.backup(target)
            return f"sqlite:///{copy}"
        name = f"{self.name}_scratch"
        self._pg_drop(name)
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
        return f"{self.pg_url}/{name}"

    def drop_scratch(self):
        if self.engine == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{BENCH_DIR / f'scratch-{size_tag(self.scale)}.db'}{suffix}").unlink(missing_ok=True)
        else:
            self._pg_drop(f"{self.name}_scratch")

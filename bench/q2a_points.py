"""Compare every data-set member's points with Question2Answer's, from its dump, without MariaDB.

    .venv/bin/python bench/q2a_points.py [--q2a-dir DIR]

Reads qa_userpoints from q2a-loaded.sql.gz and the user lines of idmap.tsv.gz
(in $FORUM_SHARED_DIR/data/q2a-bench), then compares each member's points with
the forum's stored ``users.points`` for the member with that handle, in the
app's database (DATABASE_URL, as for `flask`), after bench/load_dataset.py.
Exits 1 when any member differs.
"""
import argparse
import gzip
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a file, not only with -m

DUMP = "q2a-loaded.sql.gz"
IDMAP = "idmap.tsv.gz"
TABLE = "qa_userpoints"

#: One SQL value in a VALUES list: a quoted string (MySQL escapes), NULL, or a number.
_TOKEN = re.compile(rb"""'(?:[^'\\]|\\.|'')*'|NULL|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[(),;]""")
_COLUMN = re.compile(rb"^\s*`([^`]+)`")
_COLUMN_LIST = re.compile(rb"^INSERT INTO `[^`]+`\s*\(([^)]*)\)\s*VALUES", re.IGNORECASE)


def _value(token):
    if token == b"NULL":
        return None
    if token.startswith(b"'"):
        return token[1:-1].decode("utf-8")  # escapes left as they are: only numbers are used here
    return float(token) if b"." in token or b"e" in token.lower() else int(token)


def _rows(statement):
    """Yield the tuples of an INSERT statement's VALUES list."""
    values = statement[statement.upper().index(b"VALUES") + len(b"VALUES"):]
    row, depth = [], 0
    for token in _TOKEN.findall(values):
        if token == b"(":
            row, depth = [], depth + 1
        elif token == b")":
            depth -= 1
            yield row
        elif token in (b",", b";"):
            continue
        elif depth:
            row.append(_value(token))


def parse_table(dump_path, table=TABLE):
    """Return the rows of ``table`` in a mysqldump/mariadb-dump file as dicts by column name.

    Streams the gzip: only the table's CREATE TABLE (for the column order) and its
    INSERT statements are parsed; everything else is skipped by a prefix test.
    """
    create = f"CREATE TABLE `{table}`".encode()
    insert = f"INSERT INTO `{table}`".encode()
    columns, rows, statement = None, [], None
    opener = gzip.open if str(dump_path).endswith(".gz") else open
    with opener(dump_path, "rb") as dump:
        for line in dump:
            if statement is not None:
                statement.append(line)
                if line.rstrip().endswith(b";"):
                    rows += _statement_rows(b"".join(statement), columns)
                    statement = None
            elif columns is None and line.startswith(create):
                columns = []
                for column_line in dump:
                    if (match := _COLUMN.match(column_line)) is None:
                        break
                    columns.append(match.group(1).decode())
            elif line.startswith(insert):
                if columns is None:
                    raise ValueError(f"{dump_path}: INSERT INTO `{table}` before its CREATE TABLE")
                if line.rstrip().endswith(b";"):
                    rows += _statement_rows(line, columns)
                else:
                    statement = [line]
            elif rows and line.startswith(b"UNLOCK TABLES"):
                break  # the table's data is complete
    if columns is None:
        raise ValueError(f"{dump_path}: no table `{table}`")
    return rows


def _statement_rows(statement, columns):
    if (match := _COLUMN_LIST.match(statement)) is not None:
        columns = [name.strip().strip("`") for name in match.group(1).decode().split(",")]
    result = []
    for values in _rows(statement):
        if len(values) != len(columns):
            raise ValueError(f"a row of {len(values)} values for {len(columns)} columns")
        result.append(dict(zip(columns, values, strict=True)))
    return result


def parse_userpoints(dump_path):
    """Return {Question2Answer userid: points} from the dump's qa_userpoints."""
    return {row["userid"]: row["points"] for row in parse_table(dump_path, TABLE)}


def parse_idmap_users(idmap_path):
    """Return {data-set user index: (Question2Answer userid, handle)} from idmap.tsv.gz."""
    users = {}
    with gzip.open(idmap_path, "rt", encoding="utf-8") as lines:
        for line in lines:
            kind, _, rest = line.rstrip("\n").partition("\t")
            if kind == "user":
                index, userid, handle = rest.split("\t")
                users[int(index)] = (int(userid), handle)
    return users


@dataclass
class Comparison:
    compared: int = 0
    equal: int = 0
    #: (handle, Question2Answer points, forum points or None when the member is missing, components)
    differences: list = field(default_factory=list)


def compare(q2a_points, idmap_users):
    """Compare Question2Answer's points with the forum's stored points, member by member.

    Needs an app context on the loaded forum database.
    """
    from sqlalchemy import select

    from forum.extensions import db
    from forum.models import User
    from forum.services import points
    from forum.text import canonical

    stored = {name: (uid, value) for uid, name, value in db.session.execute(
        select(User.id, User.username_canonical, User.points))}
    result = Comparison()
    missing = []
    for index in sorted(idmap_users):
        userid, handle = idmap_users[index]
        expected = q2a_points.get(userid)
        uid, actual = stored.get(canonical(handle), (None, None))
        result.compared += 1
        if actual is not None and actual == expected:
            result.equal += 1
        else:
            missing.append((handle, expected, actual, uid))
    parts = points.components([uid for *_, uid in missing if uid is not None]) if missing else {}
    result.differences = [(handle, expected, actual, dict(parts.get(uid, {})) if uid else {})
                          for handle, expected, actual, uid in missing]
    return result


def _shown(value):
    return "missing" if value is None else f"{value:,}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--q2a-dir", type=Path,
                        help="the directory of q2a-loaded.sql.gz and idmap.tsv.gz "
                             "(default: $FORUM_SHARED_DIR/data/q2a-bench)")
    args = parser.parse_args(argv)
    from forum import create_app

    app = create_app()
    with app.app_context():
        directory = args.q2a_dir or Path(app.config["FORUM_SHARED_DIR"]) / "data" / "q2a-bench"
        q2a = parse_userpoints(directory / DUMP)
        users = parse_idmap_users(directory / IDMAP)
        result = compare(q2a, users)
    print(f"{result.compared:,} members compared, {result.equal:,} equal, "
          f"{len(result.differences):,} different.")
    for handle, expected, actual, parts in result.differences:
        print(f"  {handle}: Question2Answer {_shown(expected)}, forum {_shown(actual)}; components {parts}")
    return 1 if result.differences or not result.compared else 0


if __name__ == "__main__":
    sys.exit(main())

"""A Question2Answer MySQL/MariaDB database, read with PyMySQL in batches by id ranges."""
import pymysql
import pymysql.cursors
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from forum.importers import common
from forum.importers.common import ImportFailed

#: Tables without which there is nothing to import.
REQUIRED_TABLES = ("posts", "users", "categories", "uservotes")


class Source:
    """A Question2Answer database, read by PyMySQL."""

    def __init__(self, url, prefix="qa_"):
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise ImportFailed(f"{url!r} is not a database URL; expected "
                               "mysql://user:password@host:3306/database") from None
        if not parsed.drivername.startswith(("mysql", "mariadb")) or not parsed.database:
            raise ImportFailed(f"{parsed.render_as_string(hide_password=True)} is not a MySQL/MariaDB URL "
                               "with a database name; expected mysql://user:password@host:3306/database")
        self.shown = parsed.render_as_string(hide_password=True)
        self.database = parsed.database
        self.prefix = prefix
        try:
            self.connection = pymysql.connect(
                host=parsed.host or "127.0.0.1", port=parsed.port or 3306, user=parsed.username or "root",
                password=parsed.password or "", database=parsed.database, charset="utf8mb4",
                cursorclass=pymysql.cursors.DictCursor, connect_timeout=10, read_timeout=600)
        except pymysql.MySQLError as error:
            raise ImportFailed(f"Could not connect to {self.shown}: {error.args[-1]}") from None

    def table(self, name):
        return f"`{self.prefix}{name}`"

    def query(self, sql, args=None):
        with self.connection.cursor() as cursor:
            cursor.execute(sql.replace("{p}", self.prefix), args)
            return cursor.fetchall()

    def check(self):
        """Return the Question2Answer database version; refuse what is not Question2Answer.

        :raise ImportFailed: naming the missing table.
        """
        tables = {row[next(iter(row))] for row in self.query("SHOW TABLES")}
        missing = [f"{self.prefix}{name}" for name in REQUIRED_TABLES if f"{self.prefix}{name}" not in tables]
        if len(missing) == len(REQUIRED_TABLES):
            raise ImportFailed(f"{self.shown} is not a Question2Answer database: it has no "
                               f"{', '.join(missing)} tables (table prefix {self.prefix!r}; see --prefix).")
        if missing:
            raise ImportFailed(f"{self.shown} lacks {', '.join(missing)}, which the import needs: "
                               "a Question2Answer version or installation this importer cannot read.")
        self.has_points = f"{self.prefix}userpoints" in tables
        version = None
        if f"{self.prefix}options" in tables:
            rows = self.query("SELECT content FROM {p}options WHERE title = 'db_version'")
            version = rows[0]["content"] if rows else None
        columns = {row["Field"] for row in self.query("SHOW COLUMNS FROM {p}users")}
        self.has_passhash = "passhash" in columns
        return version

    def count(self, sql, args=None):
        return next(iter(self.query(sql, args)[0].values()))

    def batches(self, sql, key, args=(), size=None):
        """Yield lists of rows of ``sql`` (with "AND {key} > %s" appended) in ``key`` order."""
        size = size or common.BATCH
        last = -1
        while True:
            rows = self.query(f"{sql} AND {key} > %s ORDER BY {key} LIMIT {int(size)}", (*args, last))
            if not rows:
                return
            yield rows
            last = rows[-1][key.rsplit(".", 1)[-1]]

    def close(self):
        self.connection.close()

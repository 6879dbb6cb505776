"""SQLite's full-text table is rebuilt as a new table

An FTS5 table whose rows were all deleted and added again (as `flask forum reindex` did)
stays slow to merge even after 'optimize': at a million posts each merge of the small
segments new posts add took 3 to 16 s, inside posting requests and the worker's job. A
table made anew and filled from the old one merges in about a millisecond. The reindex
command now makes a new table too.

Revision ID: a7d2c4e9b1f3
Revises: 9e8c5a0f7db9
Create Date: 2026-11-29 06:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7d2c4e9b1f3'
down_revision = '9e8c5a0f7db9'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.execute(
        "CREATE VIRTUAL TABLE search_fts_rebuilt USING fts5(title, body, tags, "
        "tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3')"
    )
    op.execute("INSERT INTO search_fts_rebuilt(search_fts_rebuilt, rank) VALUES ('automerge', 0)")
    op.execute("INSERT INTO search_fts_rebuilt(search_fts_rebuilt, rank) VALUES ('crisismerge', 64)")
    op.execute("INSERT INTO search_fts_rebuilt(rowid, title, body, tags) "
               "SELECT rowid, title, body, tags FROM search_fts")
    op.execute("INSERT INTO search_fts_rebuilt(search_fts_rebuilt) VALUES ('optimize')")
    op.execute("DROP TABLE search_fts")
    op.execute("ALTER TABLE search_fts_rebuilt RENAME TO search_fts")


def downgrade():
    pass  # the same table, only healthier

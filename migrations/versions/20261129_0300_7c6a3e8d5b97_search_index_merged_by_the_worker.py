"""SQLite's full-text index is merged by the worker, not inside the posting request

FTS5 merges its index segments as part of the write that adds one ("automerge"); on a
large forum such a merge took over a second inside someone's "Post your answer". With
automerge off, each write only adds its own small segment, and the worker's
merge-search-index job merges them a little at a time; "crisismerge" (the number of
segments on one level that forces a merge inside a write anyway) goes from 16 to 64, so
that a busy minute between two runs of the job stays cheap. PostgreSQL's GIN index needs
nothing of the kind.

Revision ID: 7c6a3e8d5b97
Revises: 6b5f2c7d4a86
Create Date: 2026-11-29 03:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c6a3e8d5b97'
down_revision = '6b5f2c7d4a86'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("INSERT INTO search_fts(search_fts, rank) VALUES ('automerge', 0)")
        op.execute("INSERT INTO search_fts(search_fts, rank) VALUES ('crisismerge', 64)")


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("INSERT INTO search_fts(search_fts, rank) VALUES ('automerge', 4)")
        op.execute("INSERT INTO search_fts(search_fts, rank) VALUES ('crisismerge', 16)")

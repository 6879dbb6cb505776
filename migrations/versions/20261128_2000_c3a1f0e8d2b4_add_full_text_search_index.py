"""Add the full-text search index: one document per visible question.

SQLite gets an FTS5 table ``search_fts`` (rowid = question id; columns title, body,
tags). PostgreSQL gets ``search_documents`` with the same text columns plus a
weighted ``tsvector`` (title A, tags B, body C) under a GIN index. Both are written
only by ``forum.services.search`` and are excluded from autogenerate by their
``search_`` prefix (migrations/env.py). Fill them with ``flask forum reindex``.

Revision ID: c3a1f0e8d2b4
Revises: 7f5bc43cfd2c
Create Date: 2026-11-28 20:00:00
"""
from alembic import op

revision = "c3a1f0e8d2b4"
down_revision = "7f5bc43cfd2c"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE TABLE search_documents (
                question_id integer PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
                title text NOT NULL DEFAULT '',
                body text NOT NULL DEFAULT '',
                tags text NOT NULL DEFAULT '',
                document tsvector NOT NULL
            )
            """
        )
        op.execute("CREATE INDEX search_documents_document ON search_documents USING GIN (document)")
    else:
        # porter: "sleeping" finds "sleep"; prefix indexes keep "anx*" queries fast.
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "title, body, tags, "
            "tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3')"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS search_documents")
    else:
        op.execute("DROP TABLE IF EXISTS search_fts")

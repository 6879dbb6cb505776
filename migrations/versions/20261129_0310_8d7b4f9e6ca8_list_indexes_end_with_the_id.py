"""The list indexes end with the id, so PostgreSQL reads a page of a list in its order

Lists are ordered by (created_at, id). SQLite's indexes end with the rowid anyway; on
PostgreSQL, without the id the planner sorted every visible question for a deep page
(a parallel scan of the whole posts table at a million posts).

Revision ID: 8d7b4f9e6ca8
Revises: 7c6a3e8d5b97
Create Date: 2026-11-29 03:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '8d7b4f9e6ca8'
down_revision = '7c6a3e8d5b97'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_posts_type_status_created': ['type', 'status', 'created_at'],
    'ix_posts_category_status_created': ['category_id', 'status', 'created_at'],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name='posts')
        op.create_index(name, 'posts', columns + ['id'], unique=False)
    # Dropping an index drops its statistics: without them SQLite's planner chose table
    # scans for posting's lookups on a large forum, holding the write lock for seconds.
    op.execute('ANALYZE posts')


def downgrade():
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name='posts')
        op.create_index(name, 'posts', columns, unique=False)

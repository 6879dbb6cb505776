"""Index duplicates and merges only where set, so SQLite's planner trusts the index

Revision ID: 6b5f2c7d4a86
Revises: 5a4e1b6c3f75
Create Date: 2026-11-28 23:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6b5f2c7d4a86'
down_revision = '5a4e1b6c3f75'
branch_labels = None
depends_on = None

COLUMNS = ('duplicate_of_id', 'merged_into_id')


def upgrade():
    for column in COLUMNS:
        op.drop_index(f'ix_posts_{column}', table_name='posts')
        where = sa.text(f'{column} IS NOT NULL')
        op.create_index(f'ix_posts_{column}', 'posts', [column], unique=False,
                        sqlite_where=where, postgresql_where=where)


def downgrade():
    for column in COLUMNS:
        op.drop_index(f'ix_posts_{column}', table_name='posts')
        op.create_index(f'ix_posts_{column}', 'posts', [column], unique=False)

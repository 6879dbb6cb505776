"""A generation number raised by every write to what cached pages show

services/generation.py raises it inside each transaction that writes to a table the
cache keys read, so a process may reuse a key's digest while it stays the same.

Revision ID: 9e8c5a0f7db9
Revises: 8d7b4f9e6ca8
Create Date: 2026-11-29 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9e8c5a0f7db9'
down_revision = '8d7b4f9e6ca8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'cache_generation',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO cache_generation (id, value) VALUES (1, 1)")


def downgrade():
    op.drop_table('cache_generation')

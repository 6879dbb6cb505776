"""Index members by points, best first, for "Top members" without reading every member

Revision ID: 4f3d0a5b2e64
Revises: 3e2c9f4a1d53
Create Date: 2026-11-28 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4f3d0a5b2e64'
down_revision = '3e2c9f4a1d53'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_users_points', 'users', ['points'], unique=False)


def downgrade():
    op.drop_index('ix_users_points', table_name='users')

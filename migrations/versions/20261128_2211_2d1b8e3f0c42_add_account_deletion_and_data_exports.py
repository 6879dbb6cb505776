"""Add account deletion and data exports

Revision ID: 2d1b8e3f0c42
Revises: 1c0a7d2e9b31
Create Date: 2026-11-28 22:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2d1b8e3f0c42'
down_revision = '1c0a7d2e9b31'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

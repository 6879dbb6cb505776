"""Add import state and old-URL redirects for importers

Revision ID: 3e2c9f4a1d53
Revises: 2d1b8e3f0c42
Create Date: 2026-11-28 22:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3e2c9f4a1d53'
down_revision = '2d1b8e3f0c42'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

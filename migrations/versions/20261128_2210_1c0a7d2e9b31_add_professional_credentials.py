"""Add professional credentials (verified professionals)

Revision ID: 1c0a7d2e9b31
Revises: 810665e152f3
Create Date: 2026-11-28 22:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1c0a7d2e9b31'
down_revision = '810665e152f3'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

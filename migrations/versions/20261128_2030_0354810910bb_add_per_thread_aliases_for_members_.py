"""Add per-thread aliases for members posting anonymously

Revision ID: 0354810910bb
Revises: acedfb90085e
Create Date: 2026-11-28 20:30:20.965501

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0354810910bb'
down_revision = 'acedfb90085e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anon_number', sa.Integer(), nullable=True))



def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('anon_number')


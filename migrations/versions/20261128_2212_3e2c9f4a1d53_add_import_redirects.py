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
    op.create_table('import_redirects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_key', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('old_path', sa.String(length=300), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_redirects')),
    sa.UniqueConstraint('import_key', name=op.f('uq_import_redirects_import_key'))
    )
    with op.batch_alter_table('import_redirects', schema=None) as batch_op:
        batch_op.create_index('ix_import_redirects_kind_old_path', ['kind', 'old_path'], unique=False)

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attribution', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('attribution')

    with op.batch_alter_table('import_redirects', schema=None) as batch_op:
        batch_op.drop_index('ix_import_redirects_kind_old_path')

    op.drop_table('import_redirects')

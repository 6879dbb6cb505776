"""Add import keys to posts and users, for re-runnable imports and the demo

Revision ID: 6cac442679d6
Revises: 255670055d12
Create Date: 2026-11-28 19:10:30.981869

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6cac442679d6'
down_revision = '255670055d12'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_key', sa.String(length=300), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_posts_import_key'), ['import_key'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_key', sa.String(length=300), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_import_key'), ['import_key'])



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_import_key'), type_='unique')
        batch_op.drop_column('import_key')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_posts_import_key'), type_='unique')
        batch_op.drop_column('import_key')


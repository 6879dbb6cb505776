"""Add account deletion and data exports

Revision ID: 2d1b8e3f0c42
Revises: 1c0a7d2e9b31
Create Date: 2026-11-28 22:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '2d1b8e3f0c42'
down_revision = '1c0a7d2e9b31'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deletion_mode', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('data_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='pending', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('size', sa.Integer(), server_default='0', nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_data_exports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_exports'))
    )
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.create_index('ix_data_exports_user_id', ['user_id'], unique=False)
        batch_op.create_index('ix_data_exports_status', ['status'], unique=False)

    op.create_table('removed_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('revision_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_removed_texts_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_removed_texts_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revision_id'], ['revisions.id'], name=op.f('fk_removed_texts_revision_id_revisions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_removed_texts'))
    )
    with op.batch_alter_table('removed_texts', schema=None) as batch_op:
        batch_op.create_index('ix_removed_texts_user_id', ['user_id'], unique=False)
        batch_op.create_index('ix_removed_texts_post_id', ['post_id'], unique=False)
        batch_op.create_index('ix_removed_texts_revision_id', ['revision_id'], unique=False)


def downgrade():
    with op.batch_alter_table('removed_texts', schema=None) as batch_op:
        batch_op.drop_index('ix_removed_texts_revision_id')
        batch_op.drop_index('ix_removed_texts_post_id')
        batch_op.drop_index('ix_removed_texts_user_id')
    op.drop_table('removed_texts')
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.drop_index('ix_data_exports_status')
        batch_op.drop_index('ix_data_exports_user_id')
    op.drop_table('data_exports')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('purged_at')
        batch_op.drop_column('deletion_mode')
        batch_op.drop_column('deleted_at')

"""Add member sessions, so members can list and end their logins

Revision ID: 5a4e1b6c3f75
Revises: 4f3d0a5b2e64
Create Date: 2026-11-28 23:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5a4e1b6c3f75'
down_revision = '4f3d0a5b2e64'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('member_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('epoch', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_agent', sa.String(length=200), server_default='', nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_member_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_sessions')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_member_sessions_key_hash'))
    )
    with op.batch_alter_table('member_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_member_sessions_user_id', ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('member_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_member_sessions_user_id')
    op.drop_table('member_sessions')

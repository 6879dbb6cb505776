"""Add moderation queues: queue items, flags, phrase lists, sanctions and address blocks

Revision ID: 7f5bc43cfd2c
Revises: fa2b43bbac67
Create Date: 2026-11-28 19:34:03.587485

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7f5bc43cfd2c'
down_revision = 'fa2b43bbac67'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('phrases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_name', sa.String(length=20), nullable=False),
    sa.Column('pattern', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phrases')),
    sa.UniqueConstraint('list_name', 'pattern', name=op.f('uq_phrases_list_name_pattern'))
    )
    op.create_table('address_blocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=50), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_address_blocks_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address_blocks'))
    )
    op.create_table('sanctions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sanctions_created_by_id_users')),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'], name=op.f('fk_sanctions_lifted_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sanctions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanctions'))
    )
    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sanctions_user_id'), ['user_id'], unique=False)

    op.create_table('flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('flagger_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['flagger_id'], ['users.id'], name=op.f('fk_flags_flagger_id_users')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_flags_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flags')),
    sa.UniqueConstraint('flagger_id', 'post_id', name=op.f('uq_flags_flagger_id_post_id'))
    )
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flags_post_id'), ['post_id'], unique=False)

    op.create_table('queue_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('priority', sa.Integer(), server_default='0', nullable=False),
    sa.Column('state', sa.String(length=16), server_default='new', nullable=False),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('cause', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['users.id'], name=op.f('fk_queue_items_claimed_by_id_users')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_queue_items_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_queue_items_resolved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_items'))
    )
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.create_index('ix_queue_items_state_priority', ['state', 'priority', 'created_at'], unique=False)
        batch_op.create_index('uq_queue_items_open_post_kind', ['post_id', 'kind'], unique=True, sqlite_where=sa.text("state != 'resolved'"), postgresql_where=sa.text("state != 'resolved'"))

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flag_count', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('block_reason', sa.String(length=300), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('block_reason')
        batch_op.drop_column('blocked_until')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('flag_count')

    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.drop_index('uq_queue_items_open_post_kind', sqlite_where=sa.text("state != 'resolved'"), postgresql_where=sa.text("state != 'resolved'"))
        batch_op.drop_index('ix_queue_items_state_priority')

    op.drop_table('queue_items')
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flags_post_id'))

    op.drop_table('flags')
    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sanctions_user_id'))

    op.drop_table('sanctions')
    op.drop_table('address_blocks')
    op.drop_table('phrases')

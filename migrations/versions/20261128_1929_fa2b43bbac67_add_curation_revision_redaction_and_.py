"""Add curation: revision redaction and silent edits, hide, close, duplicate and merge fields, and the moderator audit log

Revision ID: fa2b43bbac67
Revises: b7405fc01be0
Create Date: 2026-11-28 19:29:05.363676

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fa2b43bbac67'
down_revision = 'b7405fc01be0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('moderation_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('details', sa.Text(), server_default='{}', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_moderation_actions_actor_id_users')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_moderation_actions_post_id_posts')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_moderation_actions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_actions'))
    )
    with op.batch_alter_table('moderation_actions', schema=None) as batch_op:
        batch_op.create_index('ix_moderation_actions_action', ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_actions_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_moderation_actions_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_actions_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_actions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_note', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('duplicate_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.String(length=300), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_posts_hidden_by_id_users'), 'users', ['hidden_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_posts_closed_by_id_users'), 'users', ['closed_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_posts_merged_into_id_posts'), 'posts', ['merged_into_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_posts_duplicate_of_id_posts'), 'posts', ['duplicate_of_id'], ['id'])

    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_silent', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('is_redacted', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('redacted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('redacted_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_revisions_redacted_by_id_users'), 'users', ['redacted_by_id'], ['id'])



def downgrade():
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_revisions_redacted_by_id_users'), type_='foreignkey')
        batch_op.drop_column('redacted_by_id')
        batch_op.drop_column('redacted_at')
        batch_op.drop_column('is_redacted')
        batch_op.drop_column('is_silent')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_posts_duplicate_of_id_posts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_posts_merged_into_id_posts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_posts_closed_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_posts_hidden_by_id_users'), type_='foreignkey')
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_by_id')
        batch_op.drop_column('hidden_at')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('duplicate_of_id')
        batch_op.drop_column('closed_by_id')
        batch_op.drop_column('closed_note')

    with op.batch_alter_table('moderation_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderation_actions_user_id'))
        batch_op.drop_index(batch_op.f('ix_moderation_actions_post_id'))
        batch_op.drop_index('ix_moderation_actions_created_at')
        batch_op.drop_index(batch_op.f('ix_moderation_actions_actor_id'))
        batch_op.drop_index('ix_moderation_actions_action')

    op.drop_table('moderation_actions')

"""Add votes: one per member and post, and imported votes without a voter

Revision ID: b7405fc01be0
Revises: 6cac442679d6
Create Date: 2026-11-28 19:19:44.370917

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7405fc01be0'
down_revision = '6cac442679d6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=True),
    sa.Column('value', sa.SmallInteger(), nullable=False),
    sa.Column('source', sa.String(length=20), server_default='member', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('value IN (-1, 1)', name=op.f('ck_votes_value')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_votes_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['voter_id'], ['users.id'], name=op.f('fk_votes_voter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_votes')),
    sa.UniqueConstraint('voter_id', 'post_id', name=op.f('uq_votes_voter_id_post_id'))
    )
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.create_index('ix_votes_post_id', ['post_id'], unique=False)



def downgrade():
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_index('ix_votes_post_id')

    op.drop_table('votes')

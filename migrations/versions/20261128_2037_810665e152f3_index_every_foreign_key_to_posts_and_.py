"""Index every foreign key to posts, and the thread by question, type and status

Revision ID: 810665e152f3
Revises: 0354810910bb
Create Date: 2026-11-28 20:37:18.362435

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '810665e152f3'
down_revision = '0354810910bb'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_post_id', ['post_id'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_notification_id'), ['notification_id'], unique=False)

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_posts_question_type'))
        batch_op.create_index('ix_posts_accepted_answer_id', ['accepted_answer_id'], unique=False)
        batch_op.create_index('ix_posts_duplicate_of_id', ['duplicate_of_id'], unique=False)
        batch_op.create_index('ix_posts_merged_into_id', ['merged_into_id'], unique=False)
        batch_op.create_index('ix_posts_question_type_status', ['question_id', 'type', 'status', 'created_at'], unique=False)

    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.create_index('ix_queue_items_post_id', ['post_id'], unique=False)



def downgrade():
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_items_post_id')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_question_type_status')
        batch_op.drop_index('ix_posts_merged_into_id')
        batch_op.drop_index('ix_posts_duplicate_of_id')
        batch_op.drop_index('ix_posts_accepted_answer_id')
        batch_op.create_index(batch_op.f('ix_posts_question_type'), ['question_id', 'type'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_notification_id'))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_post_id')


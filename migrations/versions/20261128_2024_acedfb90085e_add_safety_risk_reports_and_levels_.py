"""Add safety: risk reports and levels, content warnings, crisis resources on posts, muting and taking a break

Revision ID: acedfb90085e
Revises: a21fa3a857cd
Create Date: 2026-11-28 20:24:28.637769

"""
import json
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'acedfb90085e'
down_revision = 'a21fa3a857cd'
branch_labels = None
depends_on = None


DEFAULT_PHRASES = Path(__file__).resolve().parents[2] / "forum" / "data" / "safety_phrases.json"


def upgrade():
    op.create_table('risk_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_risk_reports_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_risk_reports_reporter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_reports')),
    sa.UniqueConstraint('reporter_id', 'post_id', name=op.f('uq_risk_reports_reporter_id_post_id'))
    )
    with op.batch_alter_table('risk_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_reports_post_id'), ['post_id'], unique=False)

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_warning', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('show_resources', sa.Boolean(), server_default='0', nullable=False))

    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('risk_level', sa.String(length=10), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('break_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('muted_words', sa.Text(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('muted_categories', sa.Text(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('risk_alerts', sa.Boolean(), server_default='0', nullable=False))

    # The reviewed default crisis and unsafe lists, which admins then edit.
    lists = json.loads(DEFAULT_PHRASES.read_text(encoding="utf-8"))
    phrases = sa.table("phrases", sa.column("list_name", sa.String), sa.column("pattern", sa.String),
                       sa.column("created_at", sa.DateTime(timezone=True)))
    now = datetime.now(timezone.utc)
    op.bulk_insert(phrases, [
        {"list_name": name, "pattern": pattern, "created_at": now}
        for name in ("crisis", "unsafe") for pattern in lists[name]
    ])


def downgrade():
    op.execute("DELETE FROM phrases WHERE list_name IN ('crisis', 'unsafe')")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('risk_alerts')
        batch_op.drop_column('muted_categories')
        batch_op.drop_column('muted_words')
        batch_op.drop_column('break_until')

    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.drop_column('risk_level')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('show_resources')
        batch_op.drop_column('content_warning')

    with op.batch_alter_table('risk_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_reports_post_id'))

    op.drop_table('risk_reports')

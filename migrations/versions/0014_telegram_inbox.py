"""telegram webhook inbox

Revision ID: 0014_telegram_inbox
Revises: 0013_multi_platform
Create Date: 2026-11-30

Webhook updates are stored before the 200 and processed from this table by any worker; per chat,
the newest user message taken as a turn (an edit of it is answered again) and a pending /stop.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0014_telegram_inbox'
down_revision = '0013_multi_platform'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('telegram_updates',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'processing', 'done', 'failed')", name=op.f('ck_telegram_updates_status')),
    sa.PrimaryKeyConstraint('update_id', name=op.f('pk_telegram_updates'))
    )
    op.create_index('ix_telegram_updates_open', 'telegram_updates', ['chat_id', 'update_id'], unique=False,
                    postgresql_where=sa.text("status IN ('pending', 'processing')"))
    op.create_table('telegram_chat_state',
    sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('last_message_id', sa.BigInteger(), nullable=False),
    sa.Column('stop_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('chat_id', name=op.f('pk_telegram_chat_state'))
    )


def downgrade() -> None:
    op.drop_table('telegram_chat_state')
    op.drop_index('ix_telegram_updates_open', table_name='telegram_updates',
                  postgresql_where=sa.text("status IN ('pending', 'processing')"))
    op.drop_table('telegram_updates')

"""telegram chat members: who may act in a linked chat

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

Approvals and messages in a linked Telegram chat are accepted only from the person who linked it
(or people they allowed). Chats linked before this revision: a private chat's id is its person's
id, so those get their owner; group chats get none and must be linked again.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('telegram_chat_members',
    sa.Column('id', postgresql.UUID(as_uuid=True), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=True),
    sa.Column('username', sa.String(length=32), nullable=True),
    sa.Column('display_name', sa.String(length=200), nullable=True),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("role IN ('owner', 'allowed')", name=op.f('ck_telegram_chat_members_role')),
    sa.CheckConstraint('telegram_user_id IS NOT NULL OR username IS NOT NULL', name=op.f('ck_telegram_chat_members_identified')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telegram_chat_members'))
    )
    op.create_index(op.f('ix_telegram_chat_members_chat_id'), 'telegram_chat_members', ['chat_id'], unique=False)
    op.create_index('uq_telegram_chat_members_person', 'telegram_chat_members', ['chat_id', 'telegram_user_id'], unique=True, postgresql_where=sa.text('telegram_user_id IS NOT NULL'))
    op.create_index('uq_telegram_chat_members_username', 'telegram_chat_members', ['chat_id', 'username'], unique=True, postgresql_where=sa.text('username IS NOT NULL'))
    op.execute(
        "INSERT INTO telegram_chat_members (chat_id, telegram_user_id, role) "
        "SELECT telegram_chat_id, telegram_chat_id, 'owner' FROM users WHERE telegram_chat_id > 0"
    )


def downgrade() -> None:
    op.drop_index('uq_telegram_chat_members_username', table_name='telegram_chat_members', postgresql_where=sa.text('username IS NOT NULL'))
    op.drop_index('uq_telegram_chat_members_person', table_name='telegram_chat_members', postgresql_where=sa.text('telegram_user_id IS NOT NULL'))
    op.drop_index(op.f('ix_telegram_chat_members_chat_id'), table_name='telegram_chat_members')
    op.drop_table('telegram_chat_members')

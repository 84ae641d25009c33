"""users can be disabled by the operator

Revision ID: 0010_user_disabled
Revises: 0009
Create Date: 2026-11-30

`agent-brain users disable NAME` sets `disabled_at`: the user can no longer sign in, chat, or use the bot.
"""

from alembic import op
import sqlalchemy as sa

revision = '0010_user_disabled'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('users', 'disabled_at')

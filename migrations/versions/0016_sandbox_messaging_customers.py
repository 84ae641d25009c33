"""the messaging sandbox's customers in PostgreSQL

Revision ID: 0016_sandbox_messaging_customers
Revises: 0015_entity_name_heads
Create Date: 2026-11-30

When each customer last wrote to a sandbox WhatsApp number / Instagram account (its 24-hour window),
shared by every process instead of kept in one process's memory.
"""

from alembic import op
import sqlalchemy as sa

revision = '0016_sandbox_messaging_customers'
down_revision = '0015_entity_name_heads'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sandbox_messaging_customers',
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('customer', sa.String(length=64), nullable=False),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'customer', name=op.f('pk_sandbox_messaging_customers'))
    )


def downgrade() -> None:
    op.drop_table('sandbox_messaging_customers')

"""budget pacing, circuit state and account pauses shared by every process

Revision ID: 0018_shared_platform_state
Revises: 0017_entity_name_lookup
Create Date: 2026-11-30

`serve --workers N` and `agent-brain worker` processes count the same budget changes per ad set, see
the same open circuit per platform and the same paused ad accounts, instead of one process each.
"""

from alembic import op
import sqlalchemy as sa

revision = '0018_shared_platform_state'
down_revision = '0017_entity_name_lookup'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('budget_changes',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('ad_set_id', sa.String(length=64), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_changes'))
    )
    op.create_index('ix_budget_changes_ad_set_id_changed_at', 'budget_changes', ['ad_set_id', 'changed_at'],
                    unique=False)
    op.create_table('platform_health',
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('platform', name=op.f('pk_platform_health'))
    )
    op.create_table('account_throttles',
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('paused_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('strikes', sa.Integer(), server_default='0', nullable=False),
    sa.Column('code', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'account_id', name=op.f('pk_account_throttles'))
    )


def downgrade() -> None:
    op.drop_table('account_throttles')
    op.drop_table('platform_health')
    op.drop_index('ix_budget_changes_ad_set_id_changed_at', table_name='budget_changes')
    op.drop_table('budget_changes')

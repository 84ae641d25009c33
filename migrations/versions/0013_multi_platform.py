"""TikTok and Google Ads: their sandboxes' state and the unified daily metrics of every platform

Revision ID: 0013_multi_platform
Revises: 0012_inbound_messaging
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0013_multi_platform'
down_revision = '0012_inbound_messaging'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sandbox_platform_objects',
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.String(length=32), nullable=True),
    sa.Column('campaign_id', sa.String(length=32), nullable=True),
    sa.Column('name', sa.String(length=400), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('fields', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_time', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_time', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("platform IN ('tiktok', 'google')", name=op.f('ck_sandbox_platform_objects_platform')),
    sa.CheckConstraint("type IN ('account', 'budget', 'campaign', 'adgroup', 'ad')", name=op.f('ck_sandbox_platform_objects_type')),
    sa.PrimaryKeyConstraint('platform', 'id', name=op.f('pk_sandbox_platform_objects'))
    )
    op.create_index('ix_sandbox_platform_objects_account_type', 'sandbox_platform_objects', ['platform', 'account_id', 'type'], unique=False)
    op.create_table('sandbox_platform_stats',
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('ad_id', sa.String(length=32), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('campaign_id', sa.String(length=32), nullable=False),
    sa.Column('adgroup_id', sa.String(length=32), nullable=False),
    sa.Column('impressions', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('reach', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('clicks', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('spend_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('conversions', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('conversion_value_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('platform', 'ad_id', 'date', name=op.f('pk_sandbox_platform_stats'))
    )
    op.create_index('ix_sandbox_platform_stats_account_date', 'sandbox_platform_stats', ['platform', 'account_id', 'date'], unique=False)
    op.create_table('ad_daily_metrics',
    sa.Column('ad_account_id', sa.UUID(), nullable=False),
    sa.Column('ad_id', sa.String(length=64), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('campaign_id', sa.String(length=64), nullable=True),
    sa.Column('adset_id', sa.String(length=64), nullable=True),
    sa.Column('ad_name', sa.String(length=400), nullable=True),
    sa.Column('spend_cents', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('impressions', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('clicks', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('leads', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('conversion_value_cents', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("platform IN ('meta', 'tiktok', 'google', 'x')", name=op.f('ck_ad_daily_metrics_platform')),
    sa.ForeignKeyConstraint(['ad_account_id'], ['ad_accounts.id'], name=op.f('fk_ad_daily_metrics_ad_account_id_ad_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ad_account_id', 'ad_id', 'date', name=op.f('pk_ad_daily_metrics'))
    )
    op.create_index('ix_ad_daily_metrics_platform_date', 'ad_daily_metrics', ['platform', 'date'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ad_daily_metrics_platform_date', table_name='ad_daily_metrics')
    op.drop_table('ad_daily_metrics')
    op.drop_index('ix_sandbox_platform_stats_account_date', table_name='sandbox_platform_stats')
    op.drop_table('sandbox_platform_stats')
    op.drop_index('ix_sandbox_platform_objects_account_type', table_name='sandbox_platform_objects')
    op.drop_table('sandbox_platform_objects')

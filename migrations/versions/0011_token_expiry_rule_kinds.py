"""token expiry and rule kinds: the stored expiry of an ad account's token, the token_expiry alert
kind, and automation rules of kind optimizer / bandit (besides metric thresholds)

Revision ID: 0011_token_expiry_rule_kinds
Revises: 0010_user_disabled
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa

revision = '0011_token_expiry_rule_kinds'
down_revision = '0010_user_disabled'
branch_labels = None
depends_on = None

_OLD = "kind IN ('cpl_over_target', 'spend_spike', 'no_leads', 'creative_fatigue')"
_NEW = "kind IN ('cpl_over_target', 'spend_spike', 'no_leads', 'creative_fatigue', 'token_expiry')"


def upgrade() -> None:
    op.add_column('ad_accounts', sa.Column('token_expires_at', sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint(op.f('ck_alert_events_kind'), 'alert_events', type_='check')
    op.create_check_constraint(op.f('ck_alert_events_kind'), 'alert_events', _NEW)
    op.add_column('automation_rules', sa.Column('kind', sa.String(length=16), server_default='metric', nullable=False))
    op.create_check_constraint(op.f('ck_automation_rules_kind'), 'automation_rules',
                               "kind IN ('metric', 'optimizer', 'bandit')")


def downgrade() -> None:
    op.execute("DELETE FROM automation_rules WHERE kind <> 'metric'")
    op.drop_constraint(op.f('ck_automation_rules_kind'), 'automation_rules', type_='check')
    op.drop_column('automation_rules', 'kind')
    op.execute("DELETE FROM alert_events WHERE kind = 'token_expiry'")
    op.drop_constraint(op.f('ck_alert_events_kind'), 'alert_events', type_='check')
    op.create_check_constraint(op.f('ck_alert_events_kind'), 'alert_events', _OLD)
    op.drop_column('ad_accounts', 'token_expires_at')

"""inbound messaging: webhook inbox, messaging accounts, auto-reply rules, customer dialogs

Revision ID: 0012_inbound_messaging
Revises: 0011_token_expiry_rule_kinds
Create Date: 2026-11-30

WhatsApp dialogs become customer conversations of either channel (an Instagram customer has no
phone), their messages carry the platform id (deduplication), sender, analysis and delivery status.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0012_inbound_messaging'
down_revision = '0011_token_expiry_rule_kinds'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbound_deliveries',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('result', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True),
    sa.CheckConstraint("platform IN ('whatsapp', 'instagram')", name=op.f('ck_inbound_deliveries_platform')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_deliveries'))
    )
    op.create_index('ix_inbound_deliveries_pending', 'inbound_deliveries', ['received_at'], unique=False, postgresql_where=sa.text('processed_at IS NULL'))
    op.create_table('messaging_accounts',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('display_phone', sa.String(length=32), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False),
    sa.Column('business_hours', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default=sa.text('\'{"start": 9, "end": 20, "days": [0, 1, 2, 3, 4, 5]}\'::jsonb'), nullable=False),
    sa.Column('auto_reply', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("platform IN ('whatsapp', 'instagram')", name=op.f('ck_messaging_accounts_platform')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_messaging_accounts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messaging_accounts')),
    sa.UniqueConstraint('platform', 'external_id', name='uq_messaging_accounts_platform_external')
    )
    op.create_index(op.f('ix_messaging_accounts_user_id'), 'messaging_accounts', ['user_id'], unique=False)
    op.create_table('auto_reply_rules',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('account_id', sa.UUID(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('intents', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
    sa.Column('keywords', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
    sa.Column('hours', sa.String(length=8), server_default='any', nullable=False),
    sa.Column('template_ru', sa.Text(), nullable=False),
    sa.Column('template_en', sa.Text(), nullable=False),
    sa.Column('wa_template', sa.String(length=100), nullable=True),
    sa.Column('priority', sa.SmallInteger(), server_default='100', nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("hours IN ('any', 'open', 'closed')", name=op.f('ck_auto_reply_rules_hours')),
    sa.ForeignKeyConstraint(['account_id'], ['messaging_accounts.id'], name=op.f('fk_auto_reply_rules_account_id_messaging_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_auto_reply_rules_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auto_reply_rules'))
    )
    op.create_index(op.f('ix_auto_reply_rules_user_id'), 'auto_reply_rules', ['user_id'], unique=False)
    op.add_column('leads', sa.Column('instagram_id', sa.String(length=64), nullable=True))
    op.create_index('ix_leads_instagram', 'leads', ['instagram_id'], unique=False)
    op.add_column('whatsapp_dialogs', sa.Column('channel', sa.String(length=16), server_default='whatsapp', nullable=False))
    op.add_column('whatsapp_dialogs', sa.Column('instagram_id', sa.String(length=64), nullable=True))
    op.add_column('whatsapp_dialogs', sa.Column('messaging_account_id', sa.UUID(), nullable=True))
    op.add_column('whatsapp_dialogs', sa.Column('context', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.add_column('whatsapp_dialogs', sa.Column('summary', sa.Text(), nullable=True))
    op.add_column('whatsapp_dialogs', sa.Column('sentiment', sa.String(length=16), nullable=True))
    op.add_column('whatsapp_dialogs', sa.Column('language', sa.String(length=2), nullable=True))
    op.add_column('whatsapp_dialogs', sa.Column('reply_mode', sa.String(length=16), server_default='auto', nullable=False))
    op.add_column('whatsapp_dialogs', sa.Column('draft_reply', sa.Text(), nullable=True))
    op.add_column('whatsapp_dialogs', sa.Column('last_inbound_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('whatsapp_dialogs', sa.Column('opted_out', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.alter_column('whatsapp_dialogs', 'phone',
               existing_type=sa.VARCHAR(length=32),
               nullable=True)
    op.create_index('uq_whatsapp_dialogs_user_instagram', 'whatsapp_dialogs', ['user_id', 'instagram_id'], unique=True, postgresql_where=sa.text('instagram_id IS NOT NULL'))
    op.create_foreign_key(op.f('fk_whatsapp_dialogs_messaging_account_id_messaging_accounts'), 'whatsapp_dialogs', 'messaging_accounts', ['messaging_account_id'], ['id'], ondelete='SET NULL')
    op.add_column('whatsapp_messages', sa.Column('external_id', sa.String(length=200), nullable=True))
    op.add_column('whatsapp_messages', sa.Column('sender', sa.String(length=16), nullable=True))
    op.add_column('whatsapp_messages', sa.Column('intent', sa.String(length=32), nullable=True))
    op.add_column('whatsapp_messages', sa.Column('sentiment', sa.String(length=16), nullable=True))
    op.add_column('whatsapp_messages', sa.Column('confidence', sa.Float(), nullable=True))
    op.add_column('whatsapp_messages', sa.Column('status', sa.String(length=16), nullable=True))
    op.add_column('whatsapp_messages', sa.Column('error', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True))
    op.add_column('whatsapp_messages', sa.Column('meta', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.add_column('whatsapp_messages', sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('uq_whatsapp_messages_external', 'whatsapp_messages', ['external_id'], unique=True, postgresql_where=sa.text('external_id IS NOT NULL'))
    op.create_check_constraint(op.f('ck_whatsapp_dialogs_channel'), 'whatsapp_dialogs', "channel IN ('whatsapp', 'instagram')")
    op.create_check_constraint(op.f('ck_whatsapp_dialogs_reply_mode'), 'whatsapp_dialogs', "reply_mode IN ('auto', 'handoff', 'human')")
    op.create_check_constraint(op.f('ck_whatsapp_dialogs_customer_id'), 'whatsapp_dialogs', 'phone IS NOT NULL OR instagram_id IS NOT NULL')
    op.create_check_constraint(op.f('ck_whatsapp_messages_sender'), 'whatsapp_messages', "sender IS NULL OR sender IN ('customer', 'bot', 'human', 'echo')")
    op.create_check_constraint(op.f('ck_whatsapp_messages_status'), 'whatsapp_messages', "status IS NULL OR status IN ('received', 'queued', 'sent', 'delivered', 'read', 'failed')")


def downgrade() -> None:
    for name, table in (('ck_whatsapp_messages_status', 'whatsapp_messages'), ('ck_whatsapp_messages_sender', 'whatsapp_messages'),
                        ('ck_whatsapp_dialogs_customer_id', 'whatsapp_dialogs'), ('ck_whatsapp_dialogs_reply_mode', 'whatsapp_dialogs'),
                        ('ck_whatsapp_dialogs_channel', 'whatsapp_dialogs')):
        op.drop_constraint(op.f(name), table, type_='check')
    # Instagram customers have no phone: their dialogs cannot survive the phone becoming required.
    op.execute("DELETE FROM whatsapp_dialogs WHERE phone IS NULL")
    op.drop_index('uq_whatsapp_messages_external', table_name='whatsapp_messages', postgresql_where=sa.text('external_id IS NOT NULL'))
    op.drop_column('whatsapp_messages', 'handled_at')
    op.drop_column('whatsapp_messages', 'meta')
    op.drop_column('whatsapp_messages', 'error')
    op.drop_column('whatsapp_messages', 'status')
    op.drop_column('whatsapp_messages', 'confidence')
    op.drop_column('whatsapp_messages', 'sentiment')
    op.drop_column('whatsapp_messages', 'intent')
    op.drop_column('whatsapp_messages', 'sender')
    op.drop_column('whatsapp_messages', 'external_id')
    op.drop_constraint(op.f('fk_whatsapp_dialogs_messaging_account_id_messaging_accounts'), 'whatsapp_dialogs', type_='foreignkey')
    op.drop_index('uq_whatsapp_dialogs_user_instagram', table_name='whatsapp_dialogs', postgresql_where=sa.text('instagram_id IS NOT NULL'))
    op.alter_column('whatsapp_dialogs', 'phone',
               existing_type=sa.VARCHAR(length=32),
               nullable=False)
    op.drop_column('whatsapp_dialogs', 'opted_out')
    op.drop_column('whatsapp_dialogs', 'last_inbound_at')
    op.drop_column('whatsapp_dialogs', 'draft_reply')
    op.drop_column('whatsapp_dialogs', 'reply_mode')
    op.drop_column('whatsapp_dialogs', 'language')
    op.drop_column('whatsapp_dialogs', 'sentiment')
    op.drop_column('whatsapp_dialogs', 'summary')
    op.drop_column('whatsapp_dialogs', 'context')
    op.drop_column('whatsapp_dialogs', 'messaging_account_id')
    op.drop_column('whatsapp_dialogs', 'instagram_id')
    op.drop_column('whatsapp_dialogs', 'channel')
    op.drop_index('ix_leads_instagram', table_name='leads')
    op.drop_column('leads', 'instagram_id')
    op.drop_index(op.f('ix_auto_reply_rules_user_id'), table_name='auto_reply_rules')
    op.drop_table('auto_reply_rules')
    op.drop_index(op.f('ix_messaging_accounts_user_id'), table_name='messaging_accounts')
    op.drop_table('messaging_accounts')
    op.drop_index('ix_inbound_deliveries_pending', table_name='inbound_deliveries', postgresql_where=sa.text('processed_at IS NULL'))
    op.drop_table('inbound_deliveries')

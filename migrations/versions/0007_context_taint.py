"""safety: summary taint flag, note provenance

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

A rolling summary written over tool output is outside text (`summary_tainted`); a note captured
from a tool's result records that tool as its source ('tool:<name>').
"""

from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('ai_conversations', sa.Column('summary_tainted', sa.Boolean(), server_default=sa.text('false'),
                                                nullable=False))
    op.drop_constraint(op.f('ck_agent_notes_source'), 'agent_notes', type_='check')
    op.alter_column('agent_notes', 'source', existing_type=sa.String(length=8), type_=sa.String(length=64),
                    existing_nullable=False, existing_server_default='auto')
    op.create_check_constraint(op.f('ck_agent_notes_source'), 'agent_notes',
                               "source IN ('auto', 'user') OR source LIKE 'tool:%'")


def downgrade() -> None:
    op.execute("UPDATE agent_notes SET source = 'auto' WHERE source LIKE 'tool:%'")
    op.drop_constraint(op.f('ck_agent_notes_source'), 'agent_notes', type_='check')
    op.alter_column('agent_notes', 'source', existing_type=sa.String(length=64), type_=sa.String(length=8),
                    existing_nullable=False, existing_server_default='auto')
    op.create_check_constraint(op.f('ck_agent_notes_source'), 'agent_notes', "source IN ('auto', 'user')")
    op.drop_column('ai_conversations', 'summary_tainted')

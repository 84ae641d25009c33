"""entity name heads: the first three letters of each word of the names of creatives, leads and WhatsApp
dialogs as a `simple` tsvector with a GIN index each, so entity resolution looks up the words a message
names instead of loading every name

Revision ID: 0015_entity_name_heads
Revises: 0014_telegram_inbox
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0015_entity_name_heads'
down_revision = '0014_telegram_inbox'
branch_labels = None
depends_on = None

_TABLES = (('creatives', 'title'), ('leads', 'name'), ('whatsapp_dialogs', 'contact_name'))


def _heads(column: str) -> str:
    return (f"to_tsvector('simple'::regconfig, regexp_replace(regexp_replace(translate(COALESCE({column}, "
            f"''::character varying), 'Ёё'::text, 'Ее'::text), '[^[:alnum:]]+'::text, ' '::text, 'g'::text), "
            f"'([[:alnum:]]{{3}})[[:alnum:]]*'::text, '\\1'::text, 'g'::text))")


def upgrade() -> None:
    for table, column in _TABLES:
        op.add_column(table, sa.Column('name_heads', postgresql.TSVECTOR(),
                                       sa.Computed(_heads(column), persisted=True), nullable=True))
        op.create_index(f'ix_{table}_name_heads', table, ['name_heads'], unique=False, postgresql_using='gin')


def downgrade() -> None:
    for table, _ in reversed(_TABLES):
        op.drop_index(f'ix_{table}_name_heads', table_name=table, postgresql_using='gin')
        op.drop_column(table, 'name_heads')

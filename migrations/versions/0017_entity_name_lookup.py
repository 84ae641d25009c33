"""entity name lookup: exact names and typos by index, and no GIN pending list

Revision ID: 0017_entity_name_lookup
Revises: 0016_sandbox_messaging_customers
Create Date: 2026-11-30

For creatives, leads and WhatsApp dialogs:
* `name_key`: the heads of the name's words in order ("анн ива" for «Анна Иванова»), btree-indexed with
  the user: a name the message spells out whole (in any inflection) is one equality lookup, however many
  longer namesakes share its words;
* `name_typos`: for each word of five letters or more, its first four letters and the first four left
  after deleting any one of them (a deletion neighbourhood), GIN-indexed: a word with one typo in its
  first letters («Вениры», "Snith") shares a key with the name's word. No extension needed (pg_trgm is
  not on every server; its similarity of two five-letter words one letter apart is ≈ 0.5, under its
  thresholds);
* the name GIN indexes get `fastupdate = off`: with it on, rows inserted since the last vacuum wait in a
  pending list that every search reads whole (all 41,900 leads of a bulk-loaded world), and the planner,
  pricing that, prefers a sequential scan of the table. Names are written rarely and looked up every turn.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0017_entity_name_lookup'
down_revision = '0016_sandbox_messaging_customers'
branch_labels = None
depends_on = None

_TABLES = (('creatives', 'title'), ('leads', 'name'), ('whatsapp_dialogs', 'contact_name'))

_TYPO_KEYS = """
CREATE FUNCTION entity_name_typo_keys(name text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT array_to_tsvector(coalesce(array_agg(DISTINCT k), '{}'))
FROM regexp_split_to_table(lower(translate(name, 'Ёё', 'Ее')), '[^[:alnum:]]+') AS w,
     LATERAL (VALUES (left(w, 4)), (left(overlay(w PLACING '' FROM 1 FOR 1), 4)),
                     (left(overlay(w PLACING '' FROM 2 FOR 1), 4)), (left(overlay(w PLACING '' FROM 3 FOR 1), 4)),
                     (left(overlay(w PLACING '' FROM 4 FOR 1), 4))) AS v(k)
WHERE length(w) >= 5
$$
"""


def _key(column: str) -> str:
    return (f"btrim(regexp_replace(regexp_replace(lower(translate(COALESCE({column}, ''::character varying), "
            f"'Ёё'::text, 'Ее'::text)), '[^[:alnum:]]+'::text, ' '::text, 'g'::text), "
            f"'([[:alnum:]]{{3}})[[:alnum:]]*'::text, '\\1'::text, 'g'::text))")


def upgrade() -> None:
    op.execute(_TYPO_KEYS)
    for table, column in _TABLES:
        op.execute(f"ALTER INDEX ix_{table}_name_heads SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('ix_{table}_name_heads'::regclass)")
        op.add_column(table, sa.Column('name_key', sa.Text(), sa.Computed(_key(column), persisted=True), nullable=True))
        op.add_column(table, sa.Column('name_typos', postgresql.TSVECTOR(),
                                       sa.Computed(f"entity_name_typo_keys(COALESCE({column}, ''))", persisted=True),
                                       nullable=True))
        op.create_index(f'ix_{table}_name_key', table, ['user_id', 'name_key'], unique=False)
        op.create_index(f'ix_{table}_name_typos', table, ['name_typos'], unique=False, postgresql_using='gin',
                        postgresql_with={'fastupdate': 'off'})


def downgrade() -> None:
    for table, _ in reversed(_TABLES):
        op.drop_index(f'ix_{table}_name_typos', table_name=table, postgresql_using='gin')
        op.drop_index(f'ix_{table}_name_key', table_name=table)
        op.drop_column(table, 'name_typos')
        op.drop_column(table, 'name_key')
        op.execute(f"ALTER INDEX ix_{table}_name_heads RESET (fastupdate)")
    op.execute("DROP FUNCTION entity_name_typo_keys(text)")

"""indexes for the request list, the dashboard and the statistics

The request list sorts a unit's requests by when they changed, when they were created or
by requested state, and pages with a keyset on (sort key, id): (unit_id, key, id) serves
each order without sorting (PostgreSQL does not add the row id to an index as SQLite
does). The statistics take median durations per requested state; the two covering
indexes let them read no table row.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    'ix_mla_request_unit_updated': ['unit_id', 'updated_at', 'id'],
    'ix_mla_request_unit_created': ['unit_id', 'created_at', 'id'],
    'ix_mla_request_unit_state': ['unit_id', 'requested_state', 'id'],
    'ix_mla_request_unit_state_approval': ['unit_id', 'requested_state', 'approved_at', 'created_at'],
    'ix_mla_request_unit_state_execution': ['unit_id', 'requested_state', 'executed_on', 'transmitted_on'],
}


def upgrade() -> None:
    with op.batch_alter_table('mla_request', schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mla_request', schema=None) as batch_op:
        for name in reversed(INDEXES):
            batch_op.drop_index(name)

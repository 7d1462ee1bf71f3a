"""signed by: the prosecutor whose account signed a request, for the packet's signature block

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A plain column, added and dropped in place: in SQLite, a foreign key would make Alembic
# copy mla_request into a new table, and dropping the old one would cascade to the history,
# editors and annexes of every request. Users are deactivated, never deleted.


def upgrade() -> None:
    op.add_column('mla_request', sa.Column('signed_by_id', sa.Integer(), nullable=True))
    # Requests signed before: the user who took the sign step, from the history.
    op.execute(sa.text(
        "UPDATE mla_request SET signed_by_id = ("
        " SELECT e.actor_id FROM request_event e"
        " WHERE e.request_id = mla_request.id AND e.action = 'sign'"
        " ORDER BY e.id DESC LIMIT 1)"
        " WHERE signed_at IS NOT NULL"
    ))


def downgrade() -> None:
    op.drop_column('mla_request', 'signed_by_id')

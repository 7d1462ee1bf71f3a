"""packet jobs keep the digest of the values they rendered, so that a packet rendered
while a prosecutor reads the request is signed as it is

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain column, so that SQLite adds it in place instead of copying the table.
    op.add_column(
        'packet_job',
        sa.Column('values_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                  server_default=''),
    )


def downgrade() -> None:
    op.drop_column('packet_job', 'values_digest')

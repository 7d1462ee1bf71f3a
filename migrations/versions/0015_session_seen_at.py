"""login sessions keep their last request on the server, which decides when an idle
session ends (it was kept in the cookie)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain column, so that SQLite adds it in place (with a constant default, as SQLite
    # requires); open sessions count as last seen when they started.
    op.add_column(
        'login_session',
        sa.Column('seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False,
                  server_default='1970-01-01 00:00:00'),
    )
    op.execute('UPDATE login_session SET seen_at = started_at')


def downgrade() -> None:
    op.drop_column('login_session', 'seen_at')

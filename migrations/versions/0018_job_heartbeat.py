"""packet jobs carry a heartbeat while they run, and count the runs whose worker stopped,
so that a render whose worker died is queued again (or failed) within a minute

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0018'
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain columns, so that SQLite adds them in place. A job running at the upgrade has
    # no heartbeat yet: its start counts as its last sign of life.
    op.add_column(
        'packet_job',
        sa.Column('heartbeat_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.add_column(
        'packet_job',
        sa.Column('lost_runs', sa.Integer(), nullable=False, server_default='0'),
    )


def downgrade() -> None:
    op.drop_column('packet_job', 'lost_runs')
    op.drop_column('packet_job', 'heartbeat_at')

"""units keep duties apart: who approves a request does not sign it, and who drafted it
does neither (on unless a unit turns it off)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain column, so that SQLite adds it in place instead of copying the table, which
    # the users and requests refer to.
    op.add_column(
        'unit', sa.Column('separate_duties', sa.Boolean(), nullable=False, server_default=sa.true())
    )


def downgrade() -> None:
    op.drop_column('unit', 'separate_duties')

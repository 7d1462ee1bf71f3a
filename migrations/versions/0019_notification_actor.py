"""notifications name the administrator who changed a user's account (a reset password or
authenticator, changed roles or unit, a deactivation), which the user is told of

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0019'
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A plain column, added and dropped in place, as signed_by_id (0010): a foreign key would
# make SQLite copy the table. Users are deactivated, never deleted.


def upgrade() -> None:
    op.add_column('notification', sa.Column('actor_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    # Notifications about accounts have no request or report to point to without it.
    op.execute(sa.text(
        'DELETE FROM notification WHERE request_id IS NULL AND rule_report_id IS NULL'
    ))
    op.drop_column('notification', 'actor_id')

"""structured audit details: what an entry is about, as data covered by its hash

Entries written before keep an empty ``details`` and their hash, which the chain's
formula still reproduces (``mlat.services.audit.canonical``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details', sa.JSON(), server_default='{}', nullable=False))


def downgrade() -> None:
    # Entries with details would no longer verify without them: refuse rather than break
    # the chain.
    bind = op.get_bind()
    with_details = bind.execute(
        sa.text("SELECT count(*) FROM audit_entry WHERE CAST(details AS TEXT) <> '{}'")
    ).scalar()
    if with_details:
        raise RuntimeError(
            f"{with_details} audit entries have details; downgrading would break the chain."
        )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_column('details')

"""audit entries name the key whose HMAC is their hash; entries written before keep an
empty key id and their plain SHA-256, which the chain's formula still reproduces

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'audit_entry',
        sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False,
                  server_default=''),
    )


def downgrade() -> None:
    # Keyed entries would no longer verify without their key id: refuse rather than break
    # the chain.
    bind = op.get_bind()
    keyed = bind.execute(sa.text("SELECT count(*) FROM audit_entry WHERE key_id <> ''")).scalar()
    if keyed:
        raise RuntimeError(f"{keyed} audit entries are keyed; downgrading would break the chain.")
    op.drop_column('audit_entry', 'key_id')

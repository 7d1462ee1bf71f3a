"""signing keys on a PKCS#11 token: the key's label and the signer's certificate

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain columns, so that SQLite adds them in place instead of copying the table.
    op.add_column(
        'signing_credential',
        sa.Column('token_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                  server_default=''),
    )
    op.add_column(
        'signing_credential',
        sa.Column('certificate', sa.LargeBinary(), nullable=False, server_default=''),
    )


def downgrade() -> None:
    op.drop_column('signing_credential', 'certificate')
    op.drop_column('signing_credential', 'token_key')

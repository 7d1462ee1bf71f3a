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
    with op.batch_alter_table('signing_credential') as batch:
        batch.add_column(
            sa.Column('token_key', sqlmodel.sql.sqltypes.AutoString(length=200),
                      nullable=False, server_default='')
        )
        batch.add_column(
            sa.Column('certificate', sa.LargeBinary(), nullable=False, server_default='')
        )


def downgrade() -> None:
    with op.batch_alter_table('signing_credential') as batch:
        batch.drop_column('certificate')
        batch.drop_column('token_key')

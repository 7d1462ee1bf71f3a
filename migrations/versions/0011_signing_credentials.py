"""signing credentials: the prosecutors' signing certificates and the units' demonstration
certification authorities, for PAdES signatures on packets

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'signing_authority',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('certificate', sa.LargeBinary(), nullable=False),
        sa.Column('key', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('unit_id'),
    )
    op.create_table(
        'signing_credential',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('pkcs12', sa.LargeBinary(), nullable=False),
        sa.Column('chain', sa.LargeBinary(), nullable=False),
        sa.Column('certificate_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('not_after', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('demo', sa.Boolean(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id'),
    )
    op.create_index(
        'ix_signing_credential_certificate_sha256', 'signing_credential',
        ['certificate_sha256'], unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_signing_credential_certificate_sha256', table_name='signing_credential')
    op.drop_table('signing_credential')
    op.drop_table('signing_authority')

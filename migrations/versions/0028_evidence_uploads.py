"""evidence uploads in chunks

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('evidence_upload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('chunk_size', sa.Integer(), nullable=False),
    sa.Column('received', sa.BigInteger(), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('data_key', sa.LargeBinary(), nullable=False),
    sa.Column('staging', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['mla_request.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evidence_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_upload_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_upload_updated_at'), ['updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_upload_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('evidence_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_upload_user_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_upload_updated_at'))
        batch_op.drop_index(batch_op.f('ix_evidence_upload_request_id'))

    op.drop_table('evidence_upload')

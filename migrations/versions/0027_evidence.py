"""evidence received

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('evidence_blob',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('backend', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('object_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('data_key', sa.LargeBinary(), nullable=False),
    sa.Column('nonce_prefix', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sha256')
    )
    op.create_table('evidence_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('sender', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('sender_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('sender_reference', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('certificate', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['mla_request.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evidence_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_receipt_request_id'), ['request_id'], unique=False)

    op.create_table('evidence_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('blob_id', sa.Integer(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('sender_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['blob_id'], ['evidence_blob.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['receipt_id'], ['evidence_receipt.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['mla_request.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evidence_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_item_receipt_id'), ['receipt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_item_request_id'), ['request_id'], unique=False)

    op.create_table('custody_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['evidence_item.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('custody_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_custody_event_item_id'), ['item_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('custody_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_custody_event_item_id'))

    op.drop_table('custody_event')
    with op.batch_alter_table('evidence_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_item_request_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_item_receipt_id'))

    op.drop_table('evidence_item')
    with op.batch_alter_table('evidence_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_receipt_request_id'))

    op.drop_table('evidence_receipt')
    op.drop_table('evidence_blob')

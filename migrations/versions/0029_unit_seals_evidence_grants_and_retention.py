"""unit seals, evidence grants and retention

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('unit_seal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('pkcs12', sa.LargeBinary(), nullable=False),
    sa.Column('certificate', sa.LargeBinary(), nullable=False),
    sa.Column('chain', sa.LargeBinary(), nullable=False),
    sa.Column('certificate_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('not_after', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('unit_id')
    )
    op.create_table('evidence_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('granted_by', sa.Integer(), nullable=False),
    sa.Column('granted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['granted_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['evidence_item.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id', 'unit_id')
    )
    with op.batch_alter_table('evidence_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_grant_item_id'), ['item_id'], unique=False)

    with op.batch_alter_table('evidence_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retain_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('destruction_asked_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('destruction_asked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('destruction_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('destroyed_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('destroyed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key('fk_evidence_item_destroyed_by_user', 'user', ['destroyed_by'], ['id'])
        batch_op.create_foreign_key('fk_evidence_item_destruction_asked_by_user', 'user', ['destruction_asked_by'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('evidence_item', schema=None) as batch_op:
        batch_op.drop_constraint('fk_evidence_item_destroyed_by_user', type_='foreignkey')
        batch_op.drop_constraint('fk_evidence_item_destruction_asked_by_user', type_='foreignkey')
        batch_op.drop_column('destroyed_at')
        batch_op.drop_column('destroyed_by')
        batch_op.drop_column('destruction_reason')
        batch_op.drop_column('destruction_asked_at')
        batch_op.drop_column('destruction_asked_by')
        batch_op.drop_column('retain_until')

    with op.batch_alter_table('evidence_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_grant_item_id'))

    op.drop_table('evidence_grant')
    op.drop_table('unit_seal')

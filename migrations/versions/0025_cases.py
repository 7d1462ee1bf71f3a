"""cases: an investigation's requests, to any number of states, under one record

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A plain column, added and dropped in place, as in migration 0010: in SQLite a foreign key
# would make Alembic copy mla_request into a new table, and dropping the old one would
# cascade to the history, editors and annexes of every request. Cases are never deleted.


def upgrade() -> None:
    op.create_table('case_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('case_number', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('offences', sa.Text(), nullable=False),
    sa.Column('lead_officer_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['lead_officer_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_file_unit_id'), ['unit_id'], unique=False)

    op.add_column('mla_request', sa.Column('case_id', sa.Integer(), nullable=True))
    op.create_index('ix_mla_request_case_id', 'mla_request', ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_mla_request_case_id', table_name='mla_request')
    op.drop_column('mla_request', 'case_id')

    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_file_unit_id'))

    op.drop_table('case_file')

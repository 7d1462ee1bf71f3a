"""rule reports: a user's report that a rule is wrong, and notifications that point to one

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTIFICATION_REPORT_FK = 'fk_notification_rule_report_id_rule_report'


def upgrade() -> None:
    op.create_table('rule_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_ref', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('source_title', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('source_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('source_verified_on', sa.Date(), nullable=True),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['reporter_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['resolved_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rule_report', schema=None) as batch_op:
        batch_op.create_index('ix_rule_report_unit_status', ['unit_id', 'status', 'created_at'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rule_report_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(NOTIFICATION_REPORT_FK, 'rule_report', ['rule_report_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    # Notifications about reports would lose what they point to: remove them first.
    op.execute(sa.text('DELETE FROM notification WHERE rule_report_id IS NOT NULL'))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(NOTIFICATION_REPORT_FK, type_='foreignkey')
        batch_op.drop_column('rule_report_id')

    with op.batch_alter_table('rule_report', schema=None) as batch_op:
        batch_op.drop_index('ix_rule_report_unit_status')

    op.drop_table('rule_report')

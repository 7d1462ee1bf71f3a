"""a user's interface language is a choice they make: no choice yet is empty, not English

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Until now every account held "en" without anyone choosing it: the browser's
    # Accept-Language now decides for those until they pick a language.
    op.execute("UPDATE \"user\" SET locale = '' WHERE locale = 'en'")


def downgrade() -> None:
    op.execute("UPDATE \"user\" SET locale = 'en' WHERE locale = ''")

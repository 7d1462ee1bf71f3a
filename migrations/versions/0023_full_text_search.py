"""full-text search of requests: FTS5 on SQLite, tsvector and pg_trgm on PostgreSQL, built
for the requests already there

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mlat.search_text import document, fields_of
from mlat.services.search_index import write


revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_table(
            "request_search",
            sa.Column("request_id", sa.Integer(), nullable=False),
            sa.Column("heading", sa.Text(), nullable=False),
            sa.Column("body", sa.Text(), nullable=False),
            sa.Column("names", sa.Text(), nullable=False),
            sa.Column("document", sa.dialects.postgresql.TSVECTOR(), nullable=False),
            sa.ForeignKeyConstraint(["request_id"], ["mla_request.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("request_id"),
        )
        op.execute("CREATE INDEX ix_request_search_document ON request_search USING gin (document)")
        op.execute(
            "CREATE INDEX ix_request_search_names ON request_search USING gin (names gin_trgm_ops)"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE request_fts USING fts5(unit, heading, body, tokenize='unicode61')"
        )
        op.execute("CREATE VIRTUAL TABLE request_names USING fts5(names, tokenize='trigram')")
    requests = bind.execute(
        sa.text("SELECT id, unit_id, title, reference, content FROM mla_request")
    )
    for request_id, unit_id, title, reference, content in requests.fetchall():
        said = bind.execute(
            sa.text("SELECT comment FROM request_event WHERE request_id = :id AND comment != ''"),
            {"id": request_id},
        ).scalars()
        noted = bind.execute(
            sa.text("SELECT body FROM review_comment WHERE request_id = :id"), {"id": request_id}
        ).scalars()
        fields = fields_of(
            title=title,
            reference=reference,
            content=json.loads(content) if isinstance(content, str) else content,
            comments=[*said, *noted],
        )
        write(bind, request_id, document(fields, unit_id=unit_id), postgres=postgres)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_table("request_search")
    else:
        op.execute("DROP TABLE request_names")
        op.execute("DROP TABLE request_fts")

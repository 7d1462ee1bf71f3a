"""The full-text index of requests, on each engine, kept in step by the services in the
same transaction as the change it follows.

- SQLite: two FTS5 tables keyed by the request's id: ``request_fts`` (heading and body
  words, ranked with BM25, the heading weighing ten times the body) and ``request_names``
  (names and identifiers, with FTS5's trigram tokenizer, for any part of them).
- PostgreSQL: ``request_search``, with a ``tsvector`` of the words (GIN index, the
  heading weighted A, the body B, ranked with ``ts_rank_cd``) and the names and
  identifiers as text with a ``pg_trgm`` GIN index, for any part of them.

Both index the words ``mlat.search_text`` makes, never the engine's own tokens."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlmodel import Session, col

from mlat.models import MlaRequest, RequestEvent, ReviewComment
from mlat.search_text import MIN_SUBSTRING, Document, Term, document, fields_of, fts5_query, tsquery

# Tables of the index: made by the migrations, never by the models (FTS5 tables exist
# only on SQLite, and each has shadow tables of its own named after it).
INDEX_TABLES = ("request_fts", "request_names", "request_search")

FTS = table("request_fts", column("rowid"))
NAMES = table("request_names", column("rowid"))
PG = table("request_search", column("request_id"), column("document"), column("names"))


def is_index_table(name: str) -> bool:
    return name.startswith(INDEX_TABLES)


def outside_the_index(name: str | None, type_: str, _parent: object) -> bool:
    """Alembic's ``include_name``: the index's tables are the migrations' alone, so
    comparing the models with the database leaves them out."""
    return not (type_ == "table" and name is not None and is_index_table(name))


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def comments_by_request(session: Session, request_ids: Sequence[int]) -> dict[int, list[str]]:
    """What reviewers and others wrote about each request: step comments and the
    reviewer's comments on its parts, in two queries for all the requests."""
    found: dict[int, list[str]] = {request_id: [] for request_id in request_ids}
    said = session.execute(
        select(col(RequestEvent.request_id), col(RequestEvent.comment)).where(
            col(RequestEvent.request_id).in_(request_ids), col(RequestEvent.comment) != ""
        )
    )
    noted = session.execute(
        select(col(ReviewComment.request_id), col(ReviewComment.body)).where(
            col(ReviewComment.request_id).in_(request_ids)
        )
    )
    for request_id, comment in [*said, *noted]:
        found[request_id].append(str(comment))
    return found


def comments_of(session: Session, request_id: int) -> list[str]:
    return comments_by_request(session, [request_id])[request_id]


def request_document(session: Session, request: MlaRequest) -> Document:
    assert request.id is not None
    return document(
        fields_of(
            title=request.title,
            reference=request.reference,
            content=request.content,
            comments=comments_of(session, request.id),
        ),
        unit_id=request.unit_id,
    )


PG_WRITE = text(
    "INSERT INTO request_search (request_id, heading, body, names, document) "
    "VALUES (:id, :heading, :body, :names, "
    "setweight(to_tsvector('simple', :unit), 'D') || "
    "setweight(to_tsvector('simple', :heading), 'A') || "
    "setweight(to_tsvector('simple', :body), 'B')) "
    "ON CONFLICT (request_id) DO UPDATE SET heading = excluded.heading, "
    "body = excluded.body, names = excluded.names, document = excluded.document"
)
SQLITE_WRITES = (
    text("DELETE FROM request_fts WHERE rowid = :id"),
    text(
        "INSERT INTO request_fts (rowid, unit, heading, body) VALUES (:id, :unit, :heading, :body)"
    ),
    text("DELETE FROM request_names WHERE rowid = :id"),
    text("INSERT INTO request_names (rowid, names) VALUES (:id, :names)"),
)


def write_many(
    session: Session | Connection, documents: dict[int, Document], *, postgres: bool
) -> None:
    """Put requests' documents in the index, in place of what was there."""
    if not documents:
        return
    values = [
        {
            "id": request_id,
            "unit": d.unit,
            "heading": d.heading,
            "body": d.body,
            "names": d.names,
        }
        for request_id, d in documents.items()
    ]
    for statement in (PG_WRITE,) if postgres else SQLITE_WRITES:
        session.execute(statement, values)


def write(
    session: Session | Connection, request_id: int, found: Document, *, postgres: bool
) -> None:
    write_many(session, {request_id: found}, postgres=postgres)


def reindex(*, session: Session, request: MlaRequest) -> None:
    """Bring the request's entry of the index up to date (after its content, title or
    comments changed); the caller's transaction commits it with the change."""
    session.flush()
    assert request.id is not None
    write(session, request.id, request_document(session, request), postgres=_postgres(session))


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# Words common to thousands of requests ("fraud") are ranked among the most recent
# matches only, so that a search costs the same however many requests it matches.
RANKED = 1000


def matching_ids(
    *,
    session: Session,
    terms: list[Term],
    unit_id: int | None,
    conditions: Sequence[ColumnElement[bool]],
    narrowed: bool,
    limit: int,
) -> list[int]:
    """The ids of the requests that match every term and the conditions (the unit and
    the list's filters, ``narrowed`` when any is set), best first: by rank among those
    whose words match (among the ``RANKED`` most recent of them when no filter narrows
    the search); when no word matches, those where each term is part of a name or an
    identifier, most recent first."""
    if not terms:
        return []
    ident = col(MlaRequest.id)
    postgres = _postgres(session)
    index = PG if postgres else FTS
    key = PG.c.request_id if postgres else FTS.c.rowid
    score: ColumnElement[float]
    if postgres:
        query = tsquery(terms, unit_id)
        match = "request_search.document @@ to_tsquery('simple', :q)"
        score = func.ts_rank_cd(
            PG.c.document, func.to_tsquery(literal_column("'simple'"), bindparam("q"))
        )
        best = score.desc()
    else:
        query = fts5_query(terms, unit_id)
        match = "request_fts MATCH :q"
        score = func.bm25(literal_column("request_fts"), 0.0, 10.0, 1.0)
        best = score.asc()  # BM25 in SQLite: the lower, the better
    words: Select[int | None]
    if narrowed:  # the list's filters need the request's columns
        words = (
            select(ident)
            .select_from(index.join(MlaRequest, ident == key))
            .where(text(match), *conditions)
            .order_by(best, ident.desc())
            .params(q=query)
        )
    else:  # the unit's own token in the index finds its requests without a join
        recent = (
            select(key.label("id"), score.label("score"))
            .where(text(match))
            .order_by(key.desc())
            .limit(RANKED)
            .params(q=query)
            .subquery()
        )
        order = recent.c.score.desc() if postgres else recent.c.score.asc()
        words = select(recent.c.id).order_by(order, recent.c.id.desc())
    parts: Select[int | None] | None = None
    pieces = [w for t in terms for w in t.words if len(w) >= MIN_SUBSTRING]
    if pieces and all(len(w) >= MIN_SUBSTRING for t in terms for w in t.words):
        if postgres:
            within = [PG.c.names.like(_like(p), escape="\\") for p in pieces]
            parts = (
                select(ident)
                .select_from(PG.join(MlaRequest, ident == PG.c.request_id))
                .where(*within, *conditions)
            )
        else:
            parts = (
                select(ident)
                .select_from(NAMES.join(MlaRequest, ident == NAMES.c.rowid))
                .where(text("request_names MATCH :n"), *conditions)
                .params(n=" AND ".join(f'"{p}"' for p in pieces))
            )
    found = [int(i) for i in session.execute(words.limit(limit)).scalars()]
    if parts is not None and not found:  # parts of names only when no word matches
        recent_parts = parts.order_by(col(MlaRequest.updated_at).desc(), ident.desc())
        found = [int(i) for i in session.execute(recent_parts.limit(limit)).scalars()]
    return found

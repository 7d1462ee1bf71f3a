"""Finding requests by reference, case number, person name or identifier value, and the
related requests that share an identifier. Every lookup is an indexed query limited to
the user's unit; request terms are normalised on save (``mlat.content.terms``)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlmodel import Session, col

from mlat.content import normalise_identifier, normalise_name
from mlat.messages import N_
from mlat.models import MlaRequest, RequestTerm, User
from mlat.services.listing import ROW_COLUMNS, RequestRow, rows_of

MAX_QUERY = 500
MIN_PREFIX = 3
SEARCH_LIMIT = 50
RELATED_LIMIT = 10

# What matched, in the order results are shown; labels marked for translation.
MATCH_LABELS = {
    "reference": N_("Reference"),
    "case_number": N_("Case number"),
    "person": N_("Person"),
    "identifier": N_("Identifier"),
}


def identifier_candidates(query: str) -> set[str]:
    """The normalised values an identifier typed as ``query`` may be stored under."""
    query = query.strip()
    if not query:
        return set()
    found = {normalise_identifier("account", query)}  # case-folded: e-mail, domain, URL...
    try:
        ipaddress.ip_address(query)
    except ValueError:
        pass
    else:
        found.add(normalise_identifier("ip", query))
    if re.fullmatch(r"\+?[\d\s().\-/]{5,}", query) and sum(c.isdigit() for c in query) >= 5:
        found.add(normalise_identifier("phone", query))
    return found


def prefix_range(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, as a range an ordinary B-tree index serves
    (LIKE needs special collations for that on both engines)."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper, column.startswith(prefix, autoescape=True))


@dataclass
class Hit:
    request: RequestRow
    matched: list[tuple[str, str]] = field(default_factory=list)
    """(kind, value) pairs: what the query matched in this request."""


def _in_unit(unit_id: int | None) -> ColumnElement[bool]:
    return col(MlaRequest.unit_id) == unit_id


def _by_columns(
    session: Session, unit_id: int | None, query: str, limit: int
) -> list[tuple[str, RequestRow]]:
    found: list[tuple[str, RequestRow]] = []
    reference = query.upper()
    conditions: list[ColumnElement[bool]] = [col(MlaRequest.reference) == reference]
    if len(reference) >= MIN_PREFIX:
        conditions.append(prefix_range(col(MlaRequest.reference), reference))
    rows = session.execute(
        select(*ROW_COLUMNS).where(_in_unit(unit_id), or_(*conditions)).limit(limit)
    )
    found += [("reference", row) for row in rows_of(rows)]
    spellings = sorted({query, query.upper()})
    case: list[ColumnElement[bool]] = [col(MlaRequest.case_number).in_(spellings)]
    if len(query) >= MIN_PREFIX:
        case += [prefix_range(col(MlaRequest.case_number), s) for s in spellings]
    rows = session.execute(select(*ROW_COLUMNS).where(_in_unit(unit_id), or_(*case)).limit(limit))
    found += [("case_number", row) for row in rows_of(rows)]
    return found


def _by_terms(
    session: Session, unit_id: int | None, query: str, limit: int
) -> list[tuple[str, str, RequestRow]]:
    name = normalise_name(query)
    person = [and_(col(RequestTerm.kind) == "person", col(RequestTerm.value) == name)]
    if len(name) >= MIN_PREFIX:
        person.append(
            and_(col(RequestTerm.kind) == "person", prefix_range(col(RequestTerm.value), name))
        )
    identifier = and_(
        col(RequestTerm.kind) == "identifier",
        col(RequestTerm.value).in_(sorted(identifier_candidates(query))),
    )
    # No ORDER BY: a common name prefix matches thousands of terms, and sorting them all
    # by recency costs more than the search. The first ``limit`` are sorted in Python.
    rows = session.execute(
        select(col(RequestTerm.kind), col(RequestTerm.value), *ROW_COLUMNS)
        .join(MlaRequest, col(MlaRequest.id) == col(RequestTerm.request_id))
        .where(_in_unit(unit_id), or_(*person, identifier))
        .limit(limit)
    )
    found = [(kind, value, RequestRow(*rest)) for kind, value, *rest in rows]
    return sorted(found, key=lambda hit: (hit[2].updated_at, hit[2].id), reverse=True)


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    more: bool
    """More requests match than are shown: the query should be more precise."""


def search(*, session: Session, user: User, query: str, limit: int = SEARCH_LIMIT) -> SearchResult:
    """The requests of the user's unit matching the query, each with what matched:
    references and case numbers first, then names and identifiers, most recent first."""
    query = " ".join(query.split())[:MAX_QUERY]
    if not query:
        return SearchResult([], more=False)
    hits: dict[int, Hit] = {}

    def add(kind: str, value: str, row: RequestRow) -> None:
        hit = hits.setdefault(row.id, Hit(row))
        if (kind, value) not in hit.matched:
            hit.matched.append((kind, value))

    by_columns = _by_columns(session, user.unit_id, query, limit + 1)
    for kind, row in by_columns:
        add(kind, row.reference if kind == "reference" else query, row)
    by_terms = _by_terms(session, user.unit_id, query, 2 * limit + 1)
    for kind, value, row in by_terms:
        add(kind, value, row)
    more = len(hits) > limit or len(by_terms) > 2 * limit
    return SearchResult(list(hits.values())[:limit], more)


@dataclass(frozen=True)
class Related:
    request: RequestRow
    shared: tuple[str, ...]
    """The identifier values both requests name (normalised)."""


def related_requests(
    *, session: Session, request: MlaRequest, limit: int = RELATED_LIMIT
) -> list[Related]:
    """Other requests of the same unit that name one of this request's identifiers,
    most recently changed first, with the values they share."""
    mine = (
        select(col(RequestTerm.value))
        .where(col(RequestTerm.request_id) == request.id, col(RequestTerm.kind) == "identifier")
        .scalar_subquery()
    )
    rows = session.execute(
        select(col(RequestTerm.value), *ROW_COLUMNS)
        .join(MlaRequest, col(MlaRequest.id) == col(RequestTerm.request_id))
        .where(
            col(RequestTerm.kind) == "identifier",
            col(RequestTerm.value).in_(mine),
            col(RequestTerm.request_id) != request.id,
            _in_unit(request.unit_id),
        )
        .order_by(col(MlaRequest.updated_at).desc(), col(MlaRequest.id).desc())
        .limit(limit * 20)
    )
    shared: dict[int, tuple[RequestRow, list[str]]] = {}
    for value, *rest in rows:
        row = RequestRow(*rest)
        if row.id not in shared and len(shared) >= limit:
            continue
        shared.setdefault(row.id, (row, []))[1].append(value)
    return [Related(row, tuple(sorted(set(values)))) for row, values in shared.values()]

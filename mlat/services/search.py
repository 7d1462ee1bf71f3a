"""Full-text search of the unit's requests (``mlat.services.search_index``, words made by
``mlat.search_text``), and the related requests that share an identifier. Every lookup
is an indexed query limited to the user's unit; request terms are normalised on save
(``mlat.content.terms``)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from sqlalchemy import ColumnElement, or_, select
from sqlmodel import Session, col

from mlat.content import normalise_identifier
from mlat.messages import N_
from mlat.models import MlaRequest, RequestTerm, User
from mlat.search_text import fields_of, parse, snippet
from mlat.services.listing import ROW_COLUMNS, ListFilters, RequestRow
from mlat.services.search_index import comments_by_request, matching_ids

MAX_QUERY = 500
SEARCH_LIMIT = 50
RELATED_LIMIT = 10

# Where a match stands, in the order a request's snippets are shown; labels marked for
# translation. The kinds are those of ``mlat.search_text.fields_of``.
MATCH_LABELS = {
    "title": N_("Title"),
    "reference": N_("Reference"),
    "case_number": N_("Case number"),
    "person": N_("Person"),
    "identifier": N_("Identifier"),
    "provider": N_("Provider"),
    "offence": N_("Offence"),
    "facts": N_("Summary of facts"),
    "nexus": N_("Why the evidence is needed (nexus)"),
    "comment": N_("Comment"),
}
SNIPPETS_PER_HIT = 3


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


@dataclass
class Hit:
    request: RequestRow
    matched: list[tuple[str, Markup]] = field(default_factory=list)
    """(kind, snippet) pairs: where the query matched in this request, as written, with
    the matching words marked."""


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    more: bool
    """More requests match than are shown: the query should be more precise."""


def exact_ids(
    session: Session, query: str, conditions: list[ColumnElement[bool]], limit: int
) -> list[int]:
    """The requests whose reference or case number is the query as typed (in any case):
    an officer who types a whole reference wants that request, found by its index."""
    spellings = sorted({query, query.upper()})
    found = session.execute(
        select(col(MlaRequest.id))
        .where(
            or_(
                col(MlaRequest.reference).in_(spellings), col(MlaRequest.case_number).in_(spellings)
            ),
            *conditions,
        )
        .order_by(col(MlaRequest.updated_at).desc(), col(MlaRequest.id).desc())
        .limit(limit)
    )
    return [int(i) for i in found.scalars()]


def search(
    *,
    session: Session,
    user: User,
    query: str,
    filters: ListFilters | None = None,
    today: dt.date | None = None,
    limit: int = SEARCH_LIMIT,
) -> SearchResult:
    """The requests of the user's unit that match every word of the query (and the list's
    filters), best first, each with snippets of where it matched."""
    terms = parse(" ".join(query.split())[:MAX_QUERY])
    if not terms:
        return SearchResult([], more=False)
    conditions = (filters or ListFilters()).conditions(
        unit_id=user.unit_id, today=today or dt.date.today()
    )
    ids = exact_ids(session, " ".join(query.split()), conditions, limit + 1) or matching_ids(
        session=session, terms=terms, unit_id=user.unit_id, conditions=conditions,
        narrowed=bool(filters and filters.narrows()), limit=limit + 1)  # fmt: skip
    more, ids = len(ids) > limit, ids[:limit]
    if not ids:
        return SearchResult([], more=False)
    # The unit's condition again: the index's unit column is not the only guard.
    rows: dict[int, RequestRow] = {}
    contents: dict[int, dict[str, Any]] = {}
    listed = select(*ROW_COLUMNS, col(MlaRequest.content)).where(
        col(MlaRequest.id).in_(ids), *conditions
    )
    for *columns, content in session.execute(listed):
        row = RequestRow(*columns)
        rows[row.id], contents[row.id] = row, content
    comments = comments_by_request(session, list(rows))
    hits = []
    for request_id in (i for i in ids if i in rows):  # best first
        row = rows[request_id]
        fields = fields_of(title=row.title, reference=row.reference, normalised=False,
                           content=contents[request_id], comments=comments[request_id])  # fmt: skip
        matched: list[tuple[str, Markup]] = []
        for part in fields:
            if len(matched) == SNIPPETS_PER_HIT:
                break
            shown = snippet(part.text, terms) if part.label in MATCH_LABELS else None
            if shown is not None:
                matched.append((part.label, shown))
        hits.append(Hit(row, matched))
    return SearchResult(hits, more)


def _in_unit(unit_id: int | None) -> ColumnElement[bool]:
    return col(MlaRequest.unit_id) == unit_id


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
    # The request's own identifiers first, as values: with a subquery in their place,
    # PostgreSQL walked every request of the unit, newest first, to find the few that
    # share one (0.3 s at 100,000 requests, against under a millisecond).
    mine = (
        session.execute(
            select(col(RequestTerm.value))
            .where(col(RequestTerm.request_id) == request.id, col(RequestTerm.kind) == "identifier")
            .distinct()
        )
        .scalars()
        .all()
    )
    if not mine:
        return []
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

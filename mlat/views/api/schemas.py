"""What the API answers and takes besides the request format itself: pydantic models,
which the OpenAPI document describes as they are (``mlat.views.api.spec``).

A request's document is ``mlat.request_format.RequestDocument``, the model the import
and ``flask validate`` use; the rule tables and the provider directory are their own
schema's models (``mlat.rules.schema``, ``mlat.rules.providers``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from mlat.models import MAX_ID, RequestStatus
from mlat.request_format import MeasureKind, RequestDocument


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _written_date(value: object) -> object:
    """A query's date as YYYY-MM-DD, and nothing else pydantic would take (0.0 is not 1970)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("give a date such as 2026-03-31")
    return value


def _written_integer(value: object) -> object:
    """A query's whole number in digits, not 5.0."""
    if isinstance(value, str) and not re.fullmatch(r"\d{1,10}", value):
        raise ValueError("give a whole number")
    return value


QueryDate = Annotated[dt.date, BeforeValidator(_written_date)]
QueryInteger = Annotated[int, BeforeValidator(_written_integer)]


class Query(BaseModel):
    """A query's parameters: any other is refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Problem(Model):
    """An error, as RFC 9457 describes it."""

    type: str = Field(description="a stable URI reference for the kind of problem")
    title: str
    status: int
    detail: str = Field(description="what went wrong, in words, in the caller's language")
    instance: str = ""
    errors: list[ProblemItem] | None = Field(
        default=None, description="each place that is wrong (a field path) and what is wrong"
    )


class ProblemItem(Model):
    path: str
    message: str


Problem.model_rebuild()


class Links(Model):
    self: str
    document: str | None = None
    findings: str | None = None
    routes: str | None = None
    actions: str | None = None
    packet: str | None = None
    annexes: str | None = None
    history: str | None = None
    audit: str | None = None


class RequestSummary(Model):
    id: int
    reference: str
    title: str
    requested_state: str
    status: RequestStatus
    owner_id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    deadline: dt.date | None
    preservation_expires_on: dt.date | None
    transmitted_on: dt.date | None
    url: str


class RequestPage(Model):
    items: list[RequestSummary]
    next_cursor: str | None = Field(description="pass as cursor for the next page")
    previous_cursor: str | None
    next: str | None = Field(description="the next page's URL")
    more: bool = Field(default=False, description="a search found more than it lists")


class RequestOut(Model):
    id: int
    reference: str
    title: str
    requested_state: str
    status: RequestStatus
    version: int = Field(description="raised on every change; the ETag is v<version>")
    content_digest: str = Field(description="SHA-256 of the content, title and state")
    approved_digest: str | None
    owner_id: int
    case_id: int | None = Field(description="the unit's case (investigation) it belongs to")
    case_number: str
    deadline: dt.date | None
    preservation_expires_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None
    signed_at: dt.datetime | None
    transmitted_on: dt.date | None
    transmission_channel: str
    foreign_reference: str
    executed_on: dt.date | None
    actions: list[str] = Field(description="the workflow actions this token's user may take now")
    document: RequestDocument
    links: Links


Sort = Literal["updated", "created", "reference", "state"]


class RequestQuery(Query):
    q: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        default=None, description="full-text search: every word must match; best first"
    )
    status: RequestStatus | None = None
    requested_state: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    owner: QueryInteger | None = Field(
        default=None, ge=1, le=MAX_ID, description="the owner's user id"
    )
    measure: MeasureKind | None = None
    due: Literal["overdue", "preservation"] | None = None
    date_field: Literal["updated", "created"] = "updated"
    date_from: QueryDate | None = None
    date_to: QueryDate | None = None
    sort: Sort = "updated"
    order: Literal["asc", "desc"] = "desc"
    cursor: Annotated[str, StringConstraints(max_length=2000)] | None = None
    limit: QueryInteger = Field(default=50, ge=1, le=100)


class CreateQuery(Query):
    title: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        default=None, description="the request's title; by default from the case number"
    )


class CitationOut(Model):
    title: str
    url: str
    source_kind: str
    locator: str
    quote: str
    verified_on: str | None
    status: str


class FindingOut(Model):
    code: str
    severity: Literal["error", "warning", "info"]
    field: str = Field(description="the path in the request format")
    message: str
    unconfirmed: bool = Field(description="an error resting on a rule not verified: a warning")
    citation: CitationOut | None


class Findings(Model):
    request_id: int
    version: int
    errors: int
    warnings: int
    submittable: bool = Field(description="the workflow allows submitting and nothing blocks it")
    findings: list[FindingOut]


class AuthorityOut(Model):
    name: str
    address: str
    email: str
    phone: str
    url: str
    timezone: str


class RouteOut(Model):
    kind: str
    legal_basis: str
    legal_basis_name: str
    article: str
    channel: str
    authority: AuthorityOut | None
    typical_days: int | None
    explanation: str
    why: str
    contents: list[str]
    languages: list[str]
    verified: bool
    to_confirm: bool
    citation: CitationOut


class NotAvailableOut(Model):
    legal_basis: str
    name: str
    reason: str


class ProviderAdviceOut(Model):
    provider: str
    name: str
    direct: str | None = Field(description="what it gives without mutual legal assistance")
    emergency: CitationOut | None
    entities: list[str]


class RouteAdvice(Model):
    request_id: int
    requesting_state: str
    requested_state: str
    emergency: bool
    suggestion: RouteOut | None
    routes: list[RouteOut]
    not_available: list[NotAvailableOut]
    providers: list[ProviderAdviceOut]


class ActionOut(Model):
    action: str
    label: str
    needs: list[str] = Field(description="comment, transmission, date or reauth")
    allowed: bool
    reason: str = Field(default="", description="why this user may not take it now")


class Actions(Model):
    request_id: int
    status: RequestStatus
    version: int
    actions: list[ActionOut]


class FieldComment(Model):
    field: Annotated[str, StringConstraints(max_length=100)]
    comment: Annotated[str, StringConstraints(max_length=5000)]


class ActionInput(Model):
    """What an action asks for, as the request page's form does."""

    comment: Annotated[str, StringConstraints(max_length=5000)] = ""
    field_comments: list[FieldComment] = Field(default_factory=list, max_length=100)
    on: dt.date | None = Field(default=None, description="when it happened (transmission etc.)")
    channel: str = Field(default="", max_length=32)
    foreign_reference: Annotated[str, StringConstraints(max_length=100)] = ""
    seen_digest: Annotated[str, StringConstraints(max_length=64)] = Field(
        default="", description="approve: the content_digest of the version reviewed"
    )
    confirm: bool = Field(default=False, description="sign: you have read what you sign")
    password: Annotated[str, StringConstraints(max_length=1000)] = Field(
        default="", description="sign: your password"
    )
    code: Annotated[str, StringConstraints(max_length=20)] = Field(
        default="", description="sign: a fresh two-factor code"
    )


class PacketCopy(Model):
    kind: Literal["signed", "draft", "internal", "ready"]
    status: Literal["ready", "pending", "failed", "none"]
    error: str
    stuck: bool
    sha256: str | None
    download: str | None


class PacketOut(Model):
    request_id: int
    copies: list[PacketCopy]


class PrepareInput(Model):
    copy_: Literal["external", "internal"] = Field(default="external", alias="copy")


class PacketQuery(Query):
    copy_: Literal["external", "internal"] = Field(default="external", alias="copy")


class AnnexOut(Model):
    id: int
    kind: str
    title: str
    language: str | None
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime
    download: str


class AnnexList(Model):
    request_id: int
    annexes: list[AnnexOut]


class EventOut(Model):
    id: int
    at: dt.datetime
    action: str
    from_status: str
    to_status: str
    actor: str | None
    comment: str
    details: dict[str, object]


class History(Model):
    request_id: int
    events: list[EventOut]


class AuditOut(Model):
    seq: int
    at: dt.datetime
    action: str
    user: str | None
    outcome: str
    reason: str
    details: dict[str, object]
    hash: str


class AuditLog(Model):
    request_id: int
    entries: list[AuditOut]


class StateSummary(Model):
    state: str
    name: str
    region: str
    url: str


class StateList(Model):
    states: list[StateSummary]


class ProviderSummary(Model):
    slug: str
    name: str
    services: list[str]
    url: str


class ProviderList(Model):
    providers: list[ProviderSummary]


class InstrumentSummary(Model):
    id: str
    name: str
    kind: str


class InstrumentList(Model):
    instruments: list[InstrumentSummary]


class NoQuery(Query):
    """No parameters."""

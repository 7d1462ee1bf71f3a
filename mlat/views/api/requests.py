"""The API's requests: list and search, create from a request document, read, replace the
document under a version check, findings, route advice, workflow actions, the packet,
annexes, history and audit. Each calls the services the pages call, as the token's user."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlmodel import col, select
from werkzeug.wrappers import Response

from mlat.audit_actions import AuditAction
from mlat.auth import audit
from mlat.content import stored_content
from mlat.countries import is_state
from mlat.dates import local_today
from mlat.db import get_session
from mlat.i18n import speaker
from mlat.messages import N_
from mlat.models import AuditEntry, MlaRequest, Role, User
from mlat.request_format import RequestDocument
from mlat.rules.loader import rulebook
from mlat.rules.provenance import Citation
from mlat.rules.routes import Case, Route, advise
from mlat.rules.schema import Authority
from mlat.services import ServiceError, exchange, listing, workflow
from mlat.services import requests as svc
from mlat.services.listing import ListFilters, day_bounds
from mlat.services.search import search
from mlat.services.validation import request_document, validate_request
from mlat.views.api.core import (
    Answer,
    ProblemError,
    body_of,
    caller,
    client_addr,
    expected_version,
    json_body,
    link,
    operation,
    query_of,
    respond,
    version_tag,
)
from mlat.views.api.schemas import (
    ActionInput,
    ActionOut,
    Actions,
    AuditLog,
    AuditOut,
    AuthorityOut,
    CitationOut,
    CreateQuery,
    EventOut,
    FindingOut,
    Findings,
    History,
    Links,
    NotAvailableOut,
    ProviderAdviceOut,
    RequestOut,
    RequestPage,
    RequestQuery,
    RequestSummary,
    RouteAdvice,
    RouteOut,
)
from mlat.views.attempts import reauthenticate
from mlat.views.common import downloadable_request, visible_request
from mlat.views.transaction import commit
from mlat.workflow import BY_ACTION, available, submittable

REQUEST = "/requests/<int:request_id>"
VERSIONED = ("ETag",)


def links_of(mla_request: MlaRequest) -> Links:
    rid = mla_request.id
    return Links(
        self=link("get_request", request_id=rid),
        document=link("get_document", request_id=rid),
        findings=link("get_findings", request_id=rid),
        routes=link("get_routes", request_id=rid),
        actions=link("get_actions", request_id=rid),
        packet=link("get_packet", request_id=rid),
        annexes=link("list_annexes", request_id=rid),
        history=link("get_history", request_id=rid),
        audit=link("get_audit", request_id=rid),
    )


def allowed_actions(mla_request: MlaRequest, user: User) -> list[str]:
    db = get_session()
    return [
        str(step.action)
        for step in available(mla_request.status)
        if workflow.refusal(session=db, request=mla_request, user=user, step=step) is None
    ]


def request_out(mla_request: MlaRequest) -> RequestOut:
    user = caller()
    assert mla_request.id is not None
    return RequestOut(
        id=mla_request.id,
        reference=mla_request.reference,
        title=mla_request.title,
        requested_state=mla_request.requested_state,
        status=mla_request.status,
        version=mla_request.version,
        content_digest=mla_request.content_digest,
        approved_digest=mla_request.approved_digest,
        owner_id=mla_request.owner_id,
        case_id=mla_request.case_id,
        case_number=mla_request.case_number,
        deadline=mla_request.deadline,
        preservation_expires_on=mla_request.preservation_expires_on,
        created_at=mla_request.created_at,
        updated_at=mla_request.updated_at,
        submitted_at=mla_request.submitted_at,
        approved_at=mla_request.approved_at,
        signed_at=mla_request.signed_at,
        transmitted_on=mla_request.transmitted_on,
        transmission_channel=mla_request.transmission_channel,
        foreign_reference=mla_request.foreign_reference,
        executed_on=mla_request.executed_on,
        actions=allowed_actions(mla_request, user),
        document=request_document(request=mla_request, unit=user.unit),
        links=links_of(mla_request),
    )


def _request_answer(mla_request: MlaRequest, status: int = 200) -> Response:
    headers = {"Location": link("get_request", request_id=mla_request.id)} if status == 201 else {}
    return respond(
        request_out(mla_request), status=status, etag=version_tag(mla_request), headers=headers
    )


@operation(
    "/requests",
    "GET",
    tag="requests",
    scope="read",
    query=RequestQuery,
    summary=N_("List or search the unit's requests"),
    description=N_(
        "The filters of the request list; with q, a full-text search, best match "
        "first (at most limit results, no further pages). Pages by cursor."
    ),
    answers=[Answer(200, "A page of requests", RequestPage)],
)
def list_requests() -> Response:
    query = query_of(RequestQuery)
    user, db = caller(), get_session()
    since, until = day_bounds(query.date_from, query.date_to, user.unit.timezone)
    filters = ListFilters(
        status=query.status,
        requested_state=query.requested_state,
        owner_id=query.owner,
        measure=query.measure.value if query.measure else None,
        due=query.due,
        date_field=query.date_field,
        since=since,
        until=until,
        sort=query.sort,
        descending=query.order == "desc",
    )
    today = local_today(user.unit)
    if query.q:
        found = search(
            session=db, user=user, query=query.q, filters=filters, today=today, limit=query.limit
        )
        rows, next_cursor, previous, more = [h.request for h in found.hits], None, None, found.more
        audit(AuditAction.request_search, details={"query": query.q[:200]})
        commit()
    else:
        cursor = None
        if query.cursor:
            try:
                cursor = listing.Cursor.decode(query.cursor)
            except listing.InvalidCursor:
                raise ProblemError(
                    "invalid-request",
                    _("The cursor is not one this list gave; start again without it."),
                    errors=[{"path": "query.cursor", "message": _("not a cursor of this list")}],
                ) from None
        page = listing.list_requests(
            session=db,
            user=user,
            filters=filters,
            cursor=cursor,
            today=today,
            page_size=query.limit,
        )
        rows, next_cursor, previous, more = page.rows, page.next_cursor, page.previous_cursor, False
    args = query.model_dump(exclude_none=True, exclude_defaults=True, mode="json")
    body = RequestPage(
        items=[
            RequestSummary(
                id=row.id,
                reference=row.reference,
                title=row.title,
                requested_state=row.requested_state,
                status=row.status,
                owner_id=row.owner_id,
                created_at=row.created_at,
                updated_at=row.updated_at,
                deadline=row.deadline,
                preservation_expires_on=row.preservation_expires_on,
                transmitted_on=row.transmitted_on,
                url=link("get_request", request_id=row.id),
            )
            for row in rows
        ],
        next_cursor=next_cursor,
        previous_cursor=previous,
        next=link("list_requests", **(args | {"cursor": next_cursor})) if next_cursor else None,
        more=more,
    )
    return respond(body)


@operation(
    "/requests",
    "POST",
    tag="requests",
    scope="write",
    query=CreateQuery,
    body=RequestDocument,
    summary=N_("Create a draft from a request document"),
    description=N_(
        "The body is a request in the request format (docs/request-format.md), as "
        "the import takes it: the requested state comes from it, the requesting state must be "
        "the unit's, and the draft gets the unit's next reference. Officers only."
    ),
    answers=[Answer(201, "The new draft", RequestOut, headers=("ETag", "Location"))],
)
def create_request() -> Response:
    query = query_of(CreateQuery)
    data = json_body()
    created = exchange.import_request(
        session=get_session(),
        owner=caller(),
        data=data,
        title=query.title or "",
        client_addr=client_addr(),
    )
    commit()
    return _request_answer(created, 201)


@operation(
    REQUEST,
    "GET",
    tag="requests",
    scope="read",
    summary=N_("Read a request"),
    description=N_(
        "Its state, version and document, the actions this token's user may take, "
        "and links. The ETag is its version: send it in If-Match to change it."
    ),
    answers=[
        Answer(200, "The request", RequestOut, headers=VERSIONED),
        Answer(304, "Not changed since the ETag sent in If-None-Match"),
    ],
)
def get_request(request_id: int) -> Response:
    mla_request = visible_request(request_id)
    audit(AuditAction.request_view, object_type="request", object_id=mla_request.id)
    commit()
    return _request_answer(mla_request)


@operation(
    REQUEST + "/document",
    "GET",
    tag="requests",
    scope="read",
    summary=N_("Read a request's document"),
    description=N_("The request in the request format, as an export gives it."),
    answers=[
        Answer(200, "The document", RequestDocument, headers=VERSIONED),
        Answer(304, "Not changed since the ETag sent in If-None-Match"),
    ],
)
def get_document(request_id: int) -> Response:
    mla_request = visible_request(request_id)
    document = request_document(request=mla_request, unit=caller().unit)
    audit(AuditAction.request_export, object_type="request", object_id=mla_request.id)
    commit()
    return respond(document, etag=version_tag(mla_request))


@operation(
    REQUEST + "/document",
    "PUT",
    tag="requests",
    scope="write",
    conditional=True,
    body=RequestDocument,
    summary=N_("Replace a request's document"),
    description=N_(
        "Saves the document as the request's content, as the wizard saves it: "
        "only while the request may be edited, by an officer. A change after approval sends it "
        "back to review. If-Match must hold the ETag read (412 when the request changed since)."
    ),
    answers=[Answer(200, "The request as saved", RequestOut, headers=VERSIONED)],
)
def put_document(request_id: int) -> Response:
    mla_request = visible_request(request_id)
    # The body first: one that does not fit is refused as such, whatever its version.
    raw = exchange.read_document(json_body())
    document = svc.parse_content(raw)
    version = expected_version(mla_request)
    user = caller()
    if document.requesting_state and document.requesting_state != user.unit.state:
        raise ServiceError(
            N_("The document is a request of %(state)s, but your unit is in %(unit)s."),
            state=document.requesting_state,
            unit=user.unit.state,
        )
    if document.requested_state and not is_state(document.requested_state):
        raise ServiceError(
            N_("%(state)s is not a known state (requested_state)."),
            state=document.requested_state,
        )
    svc.save_content(
        session=get_session(),
        request=mla_request,
        editor=user,
        expected_version=version,
        content=stored_content(document),
        requested_state=document.requested_state or None,
        client_addr=client_addr(),
    )
    commit()
    return _request_answer(mla_request)


@operation(
    REQUEST + "/findings",
    "GET",
    tag="requests",
    scope="read",
    summary=N_("Check a request against the rule tables"),
    description=N_("The findings of the validation engine, as the request page shows them."),
    answers=[Answer(200, "The findings", Findings)],
)
def get_findings(request_id: int) -> Response:
    mla_request = visible_request(request_id)
    user = caller()
    found = validate_request(request=mla_request, unit=user.unit, today=local_today(user.unit))
    say = speaker()
    errors = sum(1 for f in found if f.severity == "error")
    body = Findings(
        request_id=request_id,
        version=mla_request.version,
        errors=errors,
        warnings=sum(1 for f in found if f.severity == "warning"),
        submittable=submittable(mla_request.status, errors=errors),
        findings=[
            FindingOut(
                code=f.code,
                severity=f.severity,
                field=f.field,
                message=f.translated(say),
                unconfirmed=f.unconfirmed,
                citation=_citation(f.citation),
            )
            for f in found
        ],
    )
    return respond(body)


def _citation(citation: Citation | None) -> CitationOut | None:
    if citation is None:
        return None
    values = citation.as_dict()
    return CitationOut(
        title=values["title"] or "",
        url=values["url"] or "",
        source_kind=values["source_kind"] or "",
        locator=values["locator"] or "",
        quote=values["quote"] or "",
        verified_on=values["verified_on"],
        status=values["status"] or "",
    )


def _authority(authority: Authority | None) -> AuthorityOut | None:
    if authority is None:
        return None
    return AuthorityOut(
        name=authority.name,
        address=authority.address,
        email=authority.email,
        phone=authority.phone,
        url=authority.url,
        timezone=authority.timezone,
    )


def _route(route: Route) -> RouteOut:
    say = speaker()
    cite = _citation(route.citation)
    assert cite is not None
    return RouteOut(
        kind=str(route.kind),
        legal_basis=route.legal_basis,
        legal_basis_name=route.legal_basis_name,
        article=route.article,
        channel=str(route.channel),
        authority=_authority(route.authority),
        typical_days=route.typical_days,
        explanation=_(route.explanation),
        why=say.say(route.why, route.why_params),
        contents=[_(c) for c in route.contents],
        languages=list(route.languages),
        verified=route.verified,
        to_confirm=route.to_confirm,
        citation=cite,
    )


@operation(
    REQUEST + "/routes",
    "GET",
    tag="requests",
    scope="read",
    summary=N_("Route advice for a request"),
    description=N_(
        "Which ways lead to the evidence for this case, fastest first, with why; "
        "the instruments that do not serve it, and what the provider directory says of the "
        "providers holding the data."
    ),
    answers=[Answer(200, "The advice", RouteAdvice)],
)
def get_routes(request_id: int) -> Response:
    mla_request = visible_request(request_id)
    user = caller()
    document = request_document(request=mla_request, unit=user.unit)
    advice = advise(rulebook(), Case.of(document, user.unit.state), local_today(user.unit))
    say = speaker()
    body = RouteAdvice(
        request_id=request_id,
        requesting_state=user.unit.state,
        requested_state=mla_request.requested_state,
        emergency=advice.emergency,
        suggestion=_route(advice.suggestion) if advice.suggestion else None,
        routes=[_route(r) for r in advice.routes],
        not_available=[
            NotAvailableOut(
                legal_basis=n.legal_basis, name=n.name, reason=say.say(n.reason, n.params)
            )
            for n in advice.not_available
        ],
        providers=[
            ProviderAdviceOut(
                provider=a.provider.slug,
                name=a.provider.name,
                direct=a.direct[0] if a.direct else None,
                emergency=_citation(a.emergency),
                entities=[
                    f"{entity.name} ({entity.state})" if entity.state else entity.name
                    for entity, _cite in a.entities
                ],
            )
            for a in advice.providers
        ],
    )
    return respond(body)


@operation(
    REQUEST + "/actions",
    "GET",
    tag="workflow",
    scope="read",
    summary=N_("The workflow actions of a request"),
    description=N_(
        "Every action the workflow allows from the request's state, whether this "
        "token's user may take it now and, if not, why; and what each asks for."
    ),
    answers=[Answer(200, "The actions", Actions)],
)
def get_actions(request_id: int) -> Response:
    mla_request = visible_request(request_id)
    db, user = get_session(), caller()
    rows = []
    for step in available(mla_request.status):
        refused = workflow.refusal(session=db, request=mla_request, user=user, step=step)
        rows.append(
            ActionOut(
                action=str(step.action),
                label=_(step.label),
                needs=sorted(step.needs),
                allowed=refused is None,
                reason=refused.translated(_, ngettext) if refused else "",
            )
        )
    body = Actions(
        request_id=request_id, status=mla_request.status, version=mla_request.version, actions=rows
    )
    return respond(body, etag=version_tag(mla_request))


@operation(
    REQUEST + "/actions/<action>",
    "POST",
    tag="workflow",
    scope="workflow",
    conditional=True,
    body=ActionInput,
    summary=N_("Take a workflow action"),
    description=N_(
        "Submit, approve, return, sign, transmit, record what the requested state "
        "did, withdraw or close, with what the request page asks for each. Approving needs "
        "seen_digest (the content_digest reviewed); signing needs confirm, your password and "
        "a fresh two-factor code. If-Match must hold the ETag read."
    ),
    answers=[Answer(200, "The request after the action", RequestOut, headers=VERSIONED)],
)
def take_action(request_id: int, action: str) -> Response:
    mla_request = visible_request(request_id)
    step = BY_ACTION.get(action)
    if step is None or step.by_editing:
        raise ProblemError("not-found", _("There is no such action."))
    given = body_of(ActionInput) if request.content_length else ActionInput()
    version = expected_version(mla_request)
    user = caller()
    if "reauth" in step.needs:
        if not given.confirm:
            raise ProblemError(
                "refused",
                _("Set confirm to true: you confirm you have read what you sign."),
                errors=[{"path": "confirm", "message": _("this is required")}],
            )
        error = reauthenticate(user, password=given.password, code=given.code, purpose="to sign")
        if error is not None:
            commit()  # the failed attempt is counted
            slug = "rate-limited" if error.factor == "throttle" else "refused"
            path = {"code": "code", "password": "password"}.get(error.factor, "")
            raise ProblemError(
                slug,
                error.message,
                errors=[{"path": path, "message": error.message}] if path else [],
                headers={"Retry-After": "60"} if slug == "rate-limited" else {},
            )
    inputs = workflow.Inputs(
        comment=given.comment,
        field_comments=[(c.field, c.comment) for c in given.field_comments if c.comment.strip()],
        on=given.on,
        channel=given.channel,
        foreign_reference=given.foreign_reference,
        seen_digest=given.seen_digest,
    )
    workflow.transition(
        session=get_session(),
        request=mla_request,
        actor=user,
        action=action,
        expected_version=version,
        inputs=inputs,
        client_addr=client_addr(),
    )
    commit()
    return _request_answer(mla_request)


@operation(
    REQUEST + "/history",
    "GET",
    tag="requests",
    scope="read",
    summary=N_("A request's history"),
    description=N_("Every workflow step, in order, with who took it and what they gave."),
    answers=[Answer(200, "The history", History)],
)
def get_history(request_id: int) -> Response:
    mla_request = visible_request(request_id)
    db = get_session()
    events = workflow.history(session=db, request=mla_request)
    names = workflow.people(session=db, request=mla_request, events=events)
    body = History(
        request_id=request_id,
        events=[
            EventOut(
                id=e.id or 0,
                at=e.at,
                action=str(e.action),
                from_status=e.from_status,
                to_status=e.to_status,
                actor=names.get(e.actor_id) if e.actor_id else None,
                comment=e.comment,
                details={
                    k: v for k, v in e.details.items() if k not in ("before", "before_digest")
                },
            )
            for e in events
        ],
    )
    return respond(body)


@operation(
    REQUEST + "/audit",
    "GET",
    tag="requests",
    scope="read",
    summary=N_("A request's audit trail"),
    description=N_(
        "The audit entries about the request, in order, each with its hash in the "
        "chain. For the unit's administrators and those who may take the request's files."
    ),
    answers=[Answer(200, "The entries", AuditLog)],
)
def get_audit(request_id: int) -> Response:
    user, db = caller(), get_session()
    if user.has_role(Role.admin):
        mla_request = visible_request(request_id)
    else:
        mla_request = downloadable_request(request_id, AuditAction.request_view)
    entries = db.exec(
        select(AuditEntry)
        .where(AuditEntry.object_type == "request", AuditEntry.object_id == str(mla_request.id))
        .order_by(col(AuditEntry.seq))
    ).all()
    ids = {e.user_id for e in entries if e.user_id}
    names = {u.id: u.name for u in db.exec(select(User).where(col(User.id).in_(ids)))}
    body = AuditLog(
        request_id=request_id,
        entries=[
            AuditOut(
                seq=e.seq,
                at=e.at,
                action=e.action,
                user=names.get(e.user_id) if e.user_id else None,
                outcome=e.outcome,
                reason=e.reason,
                details=dict(e.details),
                hash=e.hash,
            )
            for e in entries
        ],
    )
    return respond(body)

"""The OpenAPI 3.1 document, made from the registry of operations (``core.OPERATIONS``)
and pydantic's own JSON Schema of their models; and the page that documents the API.

OpenAPI 3.1 takes JSON Schema 2020-12 as it is, which is what pydantic writes, so a thin
generator is enough: the models that parse a body or a query are the ones described.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any, Literal

from flask import render_template, request
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from werkzeug.wrappers import Response

from forms.webhooks import EVENT_LABELS
from mlat.messages import N_
from mlat.models import MAX_ID
from mlat.views.api.core import (
    OPERATIONS,
    PREFIX,
    PROBLEM_MEDIA_TYPE,
    PROBLEMS,
    Answer,
    Operation,
    operation,
    problem_type,
    respond,
)
from mlat.views.api.schemas import Problem
from mlat.workflow import TRANSITIONS

API_VERSION = "1.0.0"
TAGS = {
    "requests": N_("Requests: list, search, create, read, change, check and advise"),
    "workflow": N_("Workflow: the actions that move a request on"),
    "packet": N_("Packet: render and download the request packet"),
    "annexes": N_("Annexes: upload and download documents, with their digests"),
    "rules": N_("Rule tables and the catalogue of legal bases, read-only"),
    "providers": N_("The provider directory, read-only"),
    "meta": N_("This description of the API"),
}
HEADERS = {
    "ETag": "The version read (a request's v<version>, or the digest of what is answered).",
    "Location": "Where the new resource is.",
    "Repr-Digest": "The SHA-256 of the file, as RFC 9530 writes it.",
    "Retry-After": "Seconds to wait before the next call.",
}
Mode = Literal["validation", "serialization"]
Refs = Mapping[tuple[Any, Mode], Any]


def _path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: ``/requests/<int:request_id>`` is
    ``/requests/{request_id}``."""
    parts = []
    for part in rule.split("/"):
        if part.startswith("<") and part.endswith(">"):
            part = "{" + part[1:-1].split(":")[-1] + "}"
        parts.append(part)
    return "/".join(parts)


def _path_parameters(op: Operation) -> list[dict[str, Any]]:
    found = []
    for part in op.rule.split("/"):
        if not (part.startswith("<") and part.endswith(">")):
            continue
        converter, _sep, name = part[1:-1].rpartition(":")
        schema: dict[str, Any] = {"type": "string", "minLength": 1}
        if converter == "int":
            schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
        elif name == "action":
            schema = {
                "type": "string",
                "enum": [str(t.action) for t in TRANSITIONS if not t.by_editing],
            }
        found.append({"name": name, "in": "path", "required": True, "schema": schema})
    return found


def _models() -> list[tuple[type[BaseModel], Mode]]:
    wanted: dict[tuple[type[BaseModel], Mode], None] = {(Problem, "serialization"): None}
    for op in OPERATIONS:
        if op.query is not None:
            wanted[op.query, "validation"] = None
        if isinstance(op.body, type):
            wanted[op.body, "validation"] = None
        for answer in op.answers:
            if answer.model is not None:
                wanted[answer.model, "serialization"] = None
    return list(wanted)


def _query_parameters(op: Operation, refs: Refs, defs: dict[str, Any]) -> list[dict[str, Any]]:
    if op.query is None:
        return []
    name = refs[op.query, "validation"]["$ref"].rsplit("/", 1)[-1]
    model = defs[name]
    required = set(model.get("required", []))
    found = []
    for field, schema in model.get("properties", {}).items():
        schema = {k: v for k, v in schema.items() if k != "title"}
        description = schema.pop("description", "")
        parameter: dict[str, Any] = {
            "name": field,
            "in": "query",
            "required": field in required,
            "schema": schema,
        }
        if description:
            parameter["description"] = description
        found.append(parameter)
    return found


def _body(op: Operation, refs: Refs) -> dict[str, Any] | None:
    if op.body is None:
        return None
    if op.body == "multipart":
        kinds = ["offence_text", "judicial_order", "translation", "evidence", "other"]
        schema = {
            "type": "object",
            "required": ["file", "title"],
            "properties": {
                "file": {"type": "string", "format": "binary"},
                "kind": {"type": "string", "enum": kinds},
                "title": {"type": "string", "minLength": 1, "maxLength": 500},
                "language": {"type": "string", "pattern": "^[a-z]{2}$"},
            },
        }
        return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    assert isinstance(op.body, type)
    optional = op.method == "post" and op.tag in ("workflow", "packet")
    return {
        "required": not optional,
        "content": {"application/json": {"schema": refs[op.body, "validation"]}},
    }


def _answer(answer: Answer, refs: Refs) -> dict[str, Any]:
    out: dict[str, Any] = {"description": answer.description}
    if answer.status == 304:
        return out
    if answer.model is not None:
        out["content"] = {answer.media_type: {"schema": refs[answer.model, "serialization"]}}
    elif answer.media_type == "application/json":
        out["content"] = {answer.media_type: {"schema": {"type": "object"}}}
    elif answer.media_type.startswith("text/"):
        out["content"] = {answer.media_type: {"schema": {"type": "string"}}}
    else:
        out["content"] = {answer.media_type: {"schema": {"type": "string", "format": "binary"}}}
    if answer.headers:
        out["headers"] = {
            name: {"description": HEADERS[name], "schema": {"type": "string"}}
            for name in answer.headers
        }
    return out


@cache
def openapi_document() -> dict[str, Any]:
    refs, defs = models_json_schema(_models(), ref_template="#/components/schemas/{model}")
    schemas = defs.get("$defs", {})
    problem_ref = refs[Problem, "serialization"]
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        if op.scope is None and op.tag == "meta":
            entry: dict[str, Any] = {
                "operationId": op.endpoint,
                "summary": op.summary,
                "tags": [op.tag],
                "security": [],
            }
        else:
            entry = {
                "operationId": op.endpoint,
                "summary": op.summary,
                "tags": [op.tag],
                "security": [{"token": [op.scope]}],
            }
        if op.description:
            entry["description"] = op.description
        parameters = _path_parameters(op) + _query_parameters(op, refs, schemas)
        if op.conditional:
            parameters.append(
                {
                    "name": "If-Match",
                    "in": "header",
                    "required": True,
                    "description": "The ETag of the request as last read.",
                    "schema": {"type": "string"},
                }
            )
        if parameters:
            entry["parameters"] = parameters
        body = _body(op, refs)
        if body is not None:
            entry["requestBody"] = body
        responses = {str(a.status): _answer(a, refs) for a in op.answers}
        responses["default"] = {
            "description": "A problem (RFC 9457): its type says which; see the documentation.",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}},
            "headers": {
                "Retry-After": {"description": HEADERS["Retry-After"], "schema": {"type": "string"}}
            },
        }
        entry["responses"] = responses
        paths.setdefault(_path(op.rule), {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mlat API",
            "version": API_VERSION,
            "description": "Requests for mutual legal assistance: create them from case data, "
            "check them against the rule tables, move them through review and signing, and "
            "download their packets. Authenticate with an API token made on your account "
            "page (Authorization: Bearer <token>). Errors are application/problem+json.",
        },
        "servers": [{"url": PREFIX}],
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token; its scopes (read, write, workflow) are "
                    "listed on each operation.",
                }
            },
        },
    }


@operation(
    "/openapi.json",
    "GET",
    tag="meta",
    scope=None,
    summary=N_("The OpenAPI document of this API"),
    answers=[Answer(200, "OpenAPI 3.1", None, "application/json")],
)
def openapi_json() -> Response:
    return respond(copy.deepcopy(openapi_document()))


@operation(
    "/docs",
    "GET",
    tag="meta",
    scope=None,
    summary=N_("This API's documentation page"),
    answers=[Answer(200, "The page", None, "text/html")],
)
def docs() -> str:
    groups: dict[str, list[Operation]] = {}
    for op in OPERATIONS:
        groups.setdefault(op.tag, []).append(op)
    return render_template(
        "api/docs.html",
        groups=groups,
        tags=TAGS,
        paths={op.endpoint: _path(op.rule) for op in OPERATIONS},
        problems=PROBLEMS,
        problem_type=problem_type,
        prefix=PREFIX,
        base=request.host_url.rstrip("/"),
        events={str(event): str(text) for event, text in EVENT_LABELS.items()},
    )

"""Shared by the wizard tests: the example request as the officer types it, step by step."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from bs4 import Tag
from sqlmodel import Session

from mlat.content import identifier_key, stored_content
from mlat.models import MlaRequest
from mlat.request_format import RequestDocument
from tests.conftest import check_html, text_of

EXAMPLE = Path(__file__).resolve().parent.parent / "docs/examples/qa-to-us-stored-content.json"
TODAY = dt.date.today()
PRESERVED_ON = TODAY - dt.timedelta(days=30)
PRESERVED_UNTIL = TODAY + dt.timedelta(days=60)
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
HEADERS_TXT = (
    "Received: from [198.51.100.23] by mailhost.example\n\u0633\u0644\u0627\u0645\n".encode()
)  # Arabic


def wizard_url(request_id: int | None, step: str = "") -> str:
    """The wizard's task list of the request, or one of its steps."""
    assert request_id is not None
    return f"/requests/{request_id}/wizard" + (f"/{step}" if step else "")


def saved_request(db: Session, request_id: int | None) -> MlaRequest:
    """The request as stored now (not as this session last saw it)."""
    db.expire_all()
    request: MlaRequest | None = db.get(MlaRequest, request_id)
    assert request is not None
    return request


def example() -> dict[str, Any]:
    """The example request, with its preservation dates moved to around today."""
    document: dict[str, Any] = json.loads(EXAMPLE.read_text())
    document["preservation"]["requested_on"] = PRESERVED_ON.isoformat()
    document["preservation"]["expires_on"] = PRESERVED_UNTIL.isoformat()
    return document


def example_content() -> dict[str, Any]:
    """The example as it is stored: in the request format, without the column fields."""
    return stored_content(RequestDocument.model_validate(example()))


def step_data(step: str) -> dict[str, Any]:
    """What the officer types on each step to draft the example request."""
    doc = example()
    auth, proc = doc["requesting_authority"], doc["proceedings"]
    if step == "route":
        return {
            "title": "Business e-mail compromise of Al Waha Trading",
            "requested_state": "US",
            "status": "new",
            "related_requests": "",
            "legal_basis": doc["legal_basis"],
            "channel": doc["channel"],
            "language": doc["language"],
            "translations": "",
            **{f"requesting_authority-{k}": v for k, v in auth.items()},
            **{f"proceedings-{k}": v for k, v in proc.items()},
            **{f"addressee-{k}": v for k, v in doc["addressee"].items()},
        }
    if step == "offences":
        offence = doc["offences"][0]
        return {
            "offences-0-name": offence["name"],
            "offences-0-citation": offence["citation"],
            "offences-0-max_penalty_years": "3",
            "offences-0-equivalent_offence": offence["equivalent_offence"],
        }
    if step == "facts":
        return {"facts": doc["facts"], "nexus": doc["nexus"]}
    if step == "persons":
        email, ip = doc["identifiers"]
        return {
            "persons-0-role": "victim",
            "persons-0-name": doc["persons"][0]["name"],
            "persons-0-nationality": "QA",
            "persons-1-role": "suspect",
            "persons-1-name": doc["persons"][1]["name"],
            "identifiers-0-origin": key_of(email),  # as the page sends them once saved
            "identifiers-1-origin": key_of(ip),
            "identifiers-0-kind": "email",
            "identifiers-0-value": email["value"],
            "identifiers-0-provider": email["provider"],
            "identifiers-1-kind": "ip",
            "identifiers-1-value": ip["value"],
            "identifiers-1-observed_at": "2026-03-09T10:14:22",
            "identifiers-1-observed_tz": "Asia/Qatar",
            "identifiers-1-provider": ip["provider"],
        }
    if step == "measures":
        data: dict[str, Any] = {}
        for i, measure in enumerate(doc["measures"]):
            data |= {
                f"measures-{i}-kind": measure["kind"],
                f"measures-{i}-identifiers": [
                    key_of(doc["identifiers"][r]) for r in measure["identifiers"]
                ],
                f"measures-{i}-date_from": measure["date_from"],
                f"measures-{i}-date_to": measure["date_to"],
                f"measures-{i}-details": measure["details"],
            }
        return data
    if step == "safeguards":
        pres, conf, sign = doc["preservation"], doc["confidentiality"], doc["signatory"]
        return {
            "preservation-requested": "y",
            "preservation-reference": pres["reference"],
            "preservation-requested_on": pres["requested_on"],
            "preservation-expires_on": pres["expires_on"],
            "confidentiality-non_disclosure": "y",
            "confidentiality-reason": conf["reason"],
            "procedures": doc["procedures"],
            "signatory-name": sign["name"],
            "signatory-title": sign["title"],
        }
    raise ValueError(step)


def key_of(identifier: dict[str, Any]) -> str:
    """How the wizard's pages name an identifier: by the fingerprint of its content."""
    return identifier_key(identifier["kind"], identifier["value"], identifier.get("observed_at"))


def hidden_version(page: str) -> str:
    """The version of the request the page's form was shown with, from its hidden field."""
    field = check_html(page).select_one('form input[type="hidden"][name="version"]')
    assert field is not None, "the form carries no version"
    return str(field["value"])


def notes_of(page: Tag, field_id: str) -> str:
    """What the page shows beside a field or section: findings and reviewer's comments."""
    notes = page.select_one(f"#{field_id}-notes")
    return text_of(notes) if notes else ""

"""What does not fit the request format, in words: "Offence 1, maximum penalty: give a
number", not "offences.0.max_penalty_years: Input should be a valid number"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mlat.messages import N_
from mlat.rules.words import Phrase

# A list of the request format, and how to name one of its items.
ITEM_WORDS = {
    "offences": N_("Offence %(n)d"),
    "persons": N_("Person %(n)d"),
    "identifiers": N_("Identifier %(n)d"),
    "measures": N_("Measure %(n)d"),
    "annexes": N_("Annex %(n)d"),
    "related_requests": N_("Earlier request %(n)d"),
    "translations": N_("Translation %(n)d"),
    "assurances": N_("Assurance %(n)d"),
}
FIELD_WORDS = {
    "format_version": N_("format version"),
    "reference": N_("reference"),
    "status": N_("type of request"),
    "requesting_state": N_("requesting state"),
    "requested_state": N_("requested state"),
    "language": N_("language"),
    "translations": N_("translations"),
    "requesting_authority": N_("requesting authority"),
    "legal_basis": N_("legal basis"),
    "channel": N_("channel"),
    "proceedings": N_("proceedings"),
    "offences": N_("offences"),
    "facts": N_("summary of the facts"),
    "nexus": N_("link between the evidence and the offence"),
    "related_requests": N_("earlier requests"),
    "persons": N_("persons"),
    "identifiers": N_("identifiers"),
    "measures": N_("measures"),
    "urgency": N_("urgency"),
    "preservation": N_("preservation"),
    "confidentiality": N_("confidentiality"),
    "assurances": N_("assurances"),
    "procedures": N_("procedures"),
    "annexes": N_("annexes"),
    "signatory": N_("signatory"),
    "name": N_("name"),
    "office": N_("office"),
    "address": N_("address"),
    "contact_person": N_("contact person"),
    "phone": N_("phone"),
    "mobile": N_("mobile phone"),
    "fax": N_("fax"),
    "preferred_response": N_("preferred means of response"),
    "languages": N_("languages of correspondence"),
    "backup_contact": N_("second contact"),
    "validating_authority": N_("validating judicial authority"),
    "investigating_authority": N_("investigating authority"),
    "addressee": N_("addressee"),
    "document": N_("document to produce"),
    "person": N_("who validated"),
    "legal_remedies": N_("legal remedies"),
    "identity_documents": N_("identity documents"),
    "email": N_("e-mail address"),
    "timezone": N_("time zone"),
    "office_hours": N_("office hours"),
    "type": N_("type"),
    "case_number": N_("case number"),
    "authority": N_("court or prosecutor in charge"),
    "citation": N_("statutory provision"),
    "max_penalty_years": N_("maximum penalty"),
    "death_penalty_possible": N_("death penalty possible"),
    "equivalent_offence": N_("corresponding offence"),
    "role": N_("role"),
    "date_of_birth": N_("date of birth"),
    "nationality": N_("nationality"),
    "kind": N_("kind"),
    "value": N_("value"),
    "observed_at": N_("time of use"),
    "provider": N_("provider"),
    "provider_state": N_("provider's country"),
    "date_from": N_("start of the date range"),
    "date_to": N_("end of the date range"),
    "details": N_("details"),
    "urgent": N_("urgent"),
    "danger_to_life": N_("risk to life or safety"),
    "reason": N_("reason"),
    "deadline": N_("deadline"),
    "requested": N_("preservation requested"),
    "requested_on": N_("date of the preservation request"),
    "expires_on": N_("date the preservation lapses"),
    "non_disclosure": N_("non-disclosure"),
    "title": N_("title"),
    "sha256": N_("SHA-256 digest"),
}
# pydantic's error types, and what to say instead.
PROBLEM_WORDS = {
    "missing": N_("this is required"),
    "extra_forbidden": N_("this is not part of the request format"),
    "string_type": N_("give text"),
    "float_parsing": N_("give a number"),
    "float_type": N_("give a number"),
    "int_parsing": N_("give a whole number"),
    "int_type": N_("give a whole number"),
    "bool_parsing": N_("give true or false"),
    "bool_type": N_("give true or false"),
    "string_too_long": N_("use at most %(max_length)s characters"),
    "too_long": N_("give at most %(max_length)s items"),
    "literal_error": N_("use one of the values the format allows: %(expected)s"),
    "enum": N_("use one of the values the format allows: %(expected)s"),
    "datetime_parsing": N_("give a date and time such as 2026-03-01T14:22:05+03:00"),
    "datetime_from_date_parsing": N_("give a date and time such as 2026-03-01T14:22:05+03:00"),
    "datetime_type": N_("give a date and time such as 2026-03-01T14:22:05+03:00"),
    "date_parsing": N_("give a date such as 2026-03-31"),
    "date_from_datetime_parsing": N_("give a date such as 2026-03-31"),
    "date_from_datetime_inexact": N_("give a date such as 2026-03-31"),
    "date_type": N_("give a date such as 2026-03-31"),
    "string_pattern_mismatch": N_("this is not in the form the request format expects"),
    "greater_than_equal": N_("give at least %(ge)s"),
    "less_than_equal": N_("give at most %(le)s"),
    "list_type": N_("give a list"),
    "dict_type": N_("give an object with its fields"),
    "model_type": N_("give an object with its fields"),
    "model_attributes_type": N_("give an object with its fields"),
}
DOES_NOT_FIT = N_("this does not fit the request format")


@dataclass(frozen=True)
class ContentProblem:
    """One thing that does not fit: where (the path, for the form field, and in words)
    and what is wrong."""

    path: str  # e.g. "offences.0.max_penalty_years"
    where: tuple[Phrase, ...]
    what: Phrase


def in_words(errors: Iterable[Mapping[str, Any]]) -> list[ContentProblem]:
    """pydantic's validation errors as problems an officer can read."""
    return [
        ContentProblem(
            path=".".join(str(part) for part in error["loc"]),
            where=where(tuple(error["loc"])),
            what=what(error),
        )
        for error in errors
    ]


def where(loc: tuple[Any, ...]) -> tuple[Phrase, ...]:
    """The place of a value: "Offence 1", "maximum penalty"."""
    parts: list[Phrase] = []
    for position, part in enumerate(loc):
        if isinstance(part, int):
            continue
        following = loc[position + 1] if position + 1 < len(loc) else None
        if isinstance(following, int) and part in ITEM_WORDS:
            parts.append(Phrase(ITEM_WORDS[part], {"n": following + 1}))
        else:
            parts.append(Phrase(FIELD_WORDS.get(str(part), str(part).replace("_", " ")), {}))
    return tuple(parts)


def path_parts(path: str) -> tuple[str | int, ...]:
    """``identifiers[2].observed_at`` as the parts pydantic gives: ("identifiers", 2, ...)."""
    parts: list[str | int] = []
    for piece in path.replace("[", ".").replace("]", "").split("."):
        if piece:
            parts.append(int(piece) if piece.isdigit() else piece)
    return tuple(parts)


# Problems whose wording depends on the field: (field, pydantic's type) -> what to say.
FIELD_PROBLEM_WORDS = {
    ("max_penalty_years", "float_parsing"): N_("give a number of years"),
    ("max_penalty_years", "float_type"): N_("give a number of years"),
}


def what(error: Mapping[str, Any]) -> Phrase:
    context = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    field = str(error["loc"][-1]) if error.get("loc") else ""
    if (field, error["type"]) in FIELD_PROBLEM_WORDS:
        return Phrase(FIELD_PROBLEM_WORDS[field, error["type"]], context)
    if error["type"] == "value_error" and context.get("error"):
        return Phrase(N_("%(reason)s"), {"reason": context["error"]})
    template = PROBLEM_WORDS.get(error["type"], DOES_NOT_FIT)
    return Phrase(template, context)


def problem(message: str, **params: object) -> ContentProblem:
    """A problem with the whole file rather than one value."""
    return ContentProblem("", (), Phrase(message, params))

"""The guided request wizard as data: its steps, which parts of the request format each
step covers, when a step is complete, and which step fixes a finding of the validation
engine or answers a reviewer's comment.

Pure functions over the request document and the engine's findings. The forms of the
steps live in ``forms.wizard``, the pages in ``mlat.views.wizard``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar

from mlat.messages import N_
from mlat.request_format import RequestDocument
from mlat.rules.findings import Finding
from mlat.rules.schema import StateTable

StepState = Literal["completed", "incomplete", "problems", "ready"]
STATE_LABELS: dict[str, str] = {
    "completed": N_("Completed"),
    "incomplete": N_("Incomplete"),
    "problems": N_("Has problems"),
    "ready": N_("Ready to submit"),
}


def _route_done(d: RequestDocument) -> bool:
    auth, proc = d.requesting_authority, d.proceedings
    return bool(
        d.legal_basis and d.channel and d.language and auth.name and auth.email and auth.phone
    ) and bool(proc.type and proc.case_number and proc.authority)


def _offences_done(d: RequestDocument) -> bool:
    return bool(d.offences) and all(o.name and o.citation for o in d.offences)


def _facts_done(d: RequestDocument) -> bool:
    return bool(d.facts and d.nexus)


def _persons_done(d: RequestDocument) -> bool:
    return bool(d.persons or d.identifiers) and all(i.value for i in d.identifiers)


def _measures_done(d: RequestDocument) -> bool:
    return bool(d.measures)


def _safeguards_done(d: RequestDocument) -> bool:
    return bool(d.signatory.name and d.signatory.title)


def _annexes_done(d: RequestDocument) -> bool:
    return bool(d.annexes)


@dataclass(frozen=True)
class Step:
    slug: str
    title: str  # N_-marked; translated where shown
    sections: tuple[str, ...]  # top-level keys of the request format the step edits
    done: Callable[[RequestDocument], bool] | None = None

    def covers(self, path: str) -> bool:
        return top_key(path) in self.sections


STEPS: tuple[Step, ...] = (
    Step(
        "route",
        N_("Route and requesting authority"),
        (
            "title",
            "requesting_state",
            "requested_state",
            "legal_basis",
            "channel",
            "document",
            "language",
            "translations",
            "requesting_authority",
            "proceedings",
            "investigating_authority",
            "validating_authority",
            "addressee",
            "status",
            "related_requests",
            "reference",
            "format_version",
        ),
        _route_done,
    ),
    Step("offences", N_("Offences"), ("offences",), _offences_done),
    Step("facts", N_("Facts and nexus"), ("facts", "nexus"), _facts_done),
    Step("persons", N_("Persons and identifiers"), ("persons", "identifiers"), _persons_done),
    Step("measures", N_("Measures requested"), ("measures",), _measures_done),
    Step(
        "safeguards",
        N_("Urgency, preservation and safeguards"),
        (
            "urgency",
            "preservation",
            "confidentiality",
            "assurances",
            "procedures",
            "legal_remedies",
            "signatory",
        ),
        _safeguards_done,
    ),
    Step("annexes", N_("Annexes"), ("annexes",), _annexes_done),
    Step("check", N_("Check and submit"), ()),
)
BY_SLUG: dict[str, Step] = {step.slug: step for step in STEPS}
CHECK = BY_SLUG["check"]

_TOP = re.compile(r"^[A-Za-z_0-9]+")
_INDEX = re.compile(r"\[(\d+)\]")


def top_key(path: str) -> str:
    """``identifiers`` for ``identifiers[0].observed_at``."""
    match = _TOP.match(path)
    return match.group(0) if match else ""


def step_for(path: str) -> Step:
    """The step whose page edits the part of the request at ``path``."""
    return next((s for s in STEPS if s.covers(path)), CHECK)


def anchor(path: str) -> str:
    """The HTML id of the field or section at ``path`` on its step's page, as WTForms
    names nested fields: ``identifiers[0].observed_at`` -> ``identifiers-0-observed_at``."""
    return _INDEX.sub(r"-\1", path).replace(".", "-")


def content_path(field_id: str) -> str:
    """The inverse of ``anchor``: ``measures-0-date_to`` -> ``measures[0].date_to``."""
    out = ""
    for part in field_id.split("-"):
        if part.isdigit():
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def next_step(slug: str) -> Step:
    index = [s.slug for s in STEPS].index(slug)
    return STEPS[min(index + 1, len(STEPS) - 1)]


def step_number(slug: str) -> int:
    return [s.slug for s in STEPS].index(slug) + 1


T = TypeVar("T")


def by_step(items: Iterable[T], path_of: Callable[[T], str]) -> dict[str, list[T]]:
    """Findings or comments grouped by the slug of the step that deals with them."""
    grouped: dict[str, list[T]] = {s.slug: [] for s in STEPS}
    for item in items:
        grouped[step_for(path_of(item)).slug].append(item)
    return grouped


def by_path(items: Iterable[T], path_of: Callable[[T], str]) -> dict[str, list[T]]:
    grouped: dict[str, list[T]] = {}
    for item in items:
        grouped.setdefault(path_of(item), []).append(item)
    return grouped


_UNTOUCHED = RequestDocument().model_dump()
_COLUMNS = frozenset({"requesting_state", "requested_state", "reference", "format_version"})


def started(step: Step, document: RequestDocument) -> bool:
    """Whether anything of the step's part of the request has been filled in."""
    values = document.model_dump()
    return any(
        values.get(key) != _UNTOUCHED.get(key)
        for key in step.sections
        if key in _UNTOUCHED and key not in _COLUMNS
    )


def step_states(document: RequestDocument, findings: list[Finding]) -> dict[str, StepState]:
    """Each step's state for the task list. A step not yet started is incomplete; a
    started step with an error has problems; otherwise it is completed when its
    completeness rule holds. The check step has problems when a step has; it is ready
    when every other step is completed."""
    grouped = by_step(findings, lambda f: f.field)
    states: dict[str, StepState] = {}
    for step in STEPS:
        if step.done is None:
            continue
        if not started(step, document):
            states[step.slug] = "incomplete"
        elif any(f.severity == "error" for f in grouped[step.slug]):
            states[step.slug] = "problems"
        else:
            states[step.slug] = "completed" if step.done(document) else "incomplete"
    others = [state for slug, state in states.items() if slug != CHECK.slug]
    if "problems" in states.values():
        states[CHECK.slug] = "problems"
    else:
        states[CHECK.slug] = "ready" if all(s == "completed" for s in others) else "incomplete"
    return states


def errors_in(findings: Iterable[Finding]) -> int:
    return sum(f.severity == "error" for f in findings)


def preservation_lapses_on(document: RequestDocument, table: StateTable | None) -> dt.date | None:
    """The day the preservation lapses: as given, or by the requested state's period."""
    pres = document.preservation
    if not pres.requested:
        return None
    if pres.expires_on is not None:
        return pres.expires_on
    if pres.requested_on and table and table.preservation.initial_days:
        return pres.requested_on + dt.timedelta(days=table.preservation.initial_days)
    return None

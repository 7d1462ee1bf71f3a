"""Step 5: the measures requested, each linked to the identifiers it concerns."""

from __future__ import annotations

import copy
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import FieldList, Form, FormField, SelectField, TextAreaField
from wtforms.validators import ValidationError

from forms.validators import at_most
from forms.wizard.base import (
    TEXT,
    CheckboxesField,
    DateInput,
    StepContext,
    StepForm,
    choice_values,
    iso,
    typed,
)
from forms.wizard.persons import IDENTIFIER_KINDS
from mlat.content import IDENTIFIER_KEY, identifier_key, identifier_positions
from mlat.i18n import label
from mlat.request_format import MAX_MEASURES, MeasureKind
from mlat.rules.checks.common import DATA_MEASURES

KINDS = [(k.value, label("measure", k)) for k in MeasureKind]
# Measures with a date range: the data measures, and preservation of data of a period.
DATED = frozenset({*(k.value for k in DATA_MEASURES), MeasureKind.preservation.value})

# What to write in "details" for each kind of measure.
DETAILS_HINTS: dict[str, Any] = {
    "preservation": _l("Which records of which accounts to preserve."),
    "subscriber_info": _l("The records sought: name, address, payment details, sign-up data."),
    "traffic_data": _l("The records sought: login IP logs, e-mail header data; no content."),
    "stored_content": _l(
        "Name the categories of content (e-mails sent and received, drafts, contacts), "
        "never 'all data'."
    ),
    "realtime_traffic": _l("What to collect, on which identifier, and for how long."),
    "interception": _l("What to intercept, for how long, and why nothing less intrusive will do."),
    "search_seizure": _l("The place or person to search and the items to seize."),
    "witness_statement": _l("The witness, their address if known, and the questions to put."),
    "video_hearing": _l("The person to hear, the questions, and the technical arrangements."),
    "bank_records": _l("The bank, account numbers and holders, and the record types."),
    "service_of_documents": _l("The person to serve, their address, and the documents."),
    "asset_freezing": _l("The assets to freeze, where they are held, and their value."),
}


STALE_TICK = _l(
    "Someone else changed or removed an identifier ticked here after you opened this "
    "page, so it is no longer linked to this measure. Check the identifiers ticked and "
    "save again."
)


class IdentifierCheckboxes(CheckboxesField):
    """The identifiers a measure concerns, each named by its fingerprint
    (mlat.content.identifier_key) rather than its position, so that a tick still means
    the same identifier when someone else reordered them meanwhile."""

    def pre_validate(self, form: Any) -> None:
        known = choice_values(self.choices)
        unknown = [str(value) for value in self.data or [] if str(value) not in known]
        if any(IDENTIFIER_KEY.fullmatch(value) for value in unknown):
            raise ValidationError(STALE_TICK)
        if unknown:
            raise ValidationError(_l("Choose from the options shown."))


class MeasureRow(Form):  # type: ignore[misc]
    kind = SelectField(_l("Kind of measure"), validate_choice=False)
    identifiers = IdentifierCheckboxes(_l("Identifiers concerned"))
    date_from = DateInput(_l("From"))
    date_to = DateInput(_l("To"))
    details = TextAreaField(
        _l("Details of the measure"), validators=[at_most(TEXT)], render_kw={"rows": 4}
    )

    def is_blank(self) -> bool:
        fields = (self.kind, self.identifiers, self.date_from, self.date_to, self.details)
        return not any(typed(f) for f in fields)

    def shows_dates(self) -> bool:
        """Whether the page shows the date range: for measures of data, for a row whose
        kind is not chosen yet, and whenever a date was typed."""
        kind = self.kind.data or ""
        return not kind or kind in DATED or typed(self.date_from) or typed(self.date_to)

    def validate_kind(self, field: Any) -> None:
        if field.data and field.data not in {k.value for k in MeasureKind}:
            raise ValidationError(_l("Choose a kind of measure from the list."))
        if not field.data and not self.is_blank():
            raise ValidationError(_l("Choose the kind of measure, or remove this row."))

    def validate_date_to(self, field: Any) -> None:
        start = self.date_from.data
        if field.data and start and field.data < start:
            raise ValidationError(_l("The end date is before the start date."))


class MeasuresForm(StepForm):
    measures = FieldList(FormField(MeasureRow), min_entries=1, max_entries=MAX_MEASURES)
    repeatable = ("measures",)
    dated_kinds = sorted(DATED)
    details_hints = DETAILS_HINTS

    @classmethod
    def initial(cls, ctx: StepContext) -> dict[str, Any]:
        keys = [identifier_key(i.kind, i.value, i.observed_at) for i in ctx.document.identifiers]
        return {
            "measures": [
                {
                    "kind": m.kind.value,
                    "identifiers": [keys[i] for i in m.identifiers if i < len(keys)],
                    "date_from": m.date_from,
                    "date_to": m.date_to,
                    "details": m.details,
                }
                for m in ctx.document.measures
            ]
        }

    def prepare(self, ctx: StepContext) -> None:
        kinds = dict(IDENTIFIER_KINDS)
        shown: dict[str, str] = {}
        for ident in ctx.document.identifiers:  # identical ones once, as the first of them
            key = identifier_key(ident.kind, ident.value, ident.observed_at)
            shown.setdefault(key, f"{ident.value or '?'} ({kinds.get(ident.kind, ident.kind)})")
        identifiers = list(shown.items())
        for row in self.measures:
            row.form.kind.choices = [("", _l("Choose a measure")), *KINDS]
            row.form.identifiers.choices = identifiers

    def apply(self, content: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(content)
        # The ticks name identifiers by fingerprint; the content links them by position.
        # A tick that names none of them now was refused when the form was validated.
        positions = identifier_positions(content.get("identifiers"))
        out["measures"] = [
            {
                "kind": row.form.kind.data,
                "identifiers": sorted(
                    {positions[v] for v in row.form.identifiers.data or [] if v in positions}
                ),
                "date_from": iso(row.form.date_from.data),
                "date_to": iso(row.form.date_to.data),
                "details": (row.form.details.data or "").strip(),
            }
            for row in self.measures
            if not row.form.is_blank()
        ]
        return out

    def conflict_notes(self, content: dict[str, Any]) -> list[str]:
        """Ticks of identifiers that someone else changed or removed meanwhile: they are
        no longer offered, so saving the input would leave them out."""
        positions = identifier_positions(content.get("identifiers"))
        return [
            _(
                "Measure %(n)d: someone else changed or removed an identifier ticked there "
                "after you opened this page, so it is no longer linked. Check the identifiers "
                "ticked before you save.",
                n=number,
            )
            for number, row in enumerate(self.measures, start=1)
            if any(v not in positions for v in row.form.identifiers.data or [])
        ]

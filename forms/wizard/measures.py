"""Step 5: the measures requested, each linked to the identifiers it concerns."""

from __future__ import annotations

import copy
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, Form, FormField, SelectField, TextAreaField
from wtforms.validators import ValidationError

from forms.wizard.base import (
    TEXT,
    CheckboxesField,
    DateInput,
    StepContext,
    StepForm,
    at_most,
    iso,
    typed,
)
from forms.wizard.persons import IDENTIFIER_KINDS
from mlat.i18n import label
from mlat.rules.checks.common import DATA_MEASURES
from mlat.rules.schema import MeasureKind

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


class MeasureRow(Form):  # type: ignore[misc]
    kind = SelectField(_l("Kind of measure"), validate_choice=False)
    identifiers = CheckboxesField(_l("Identifiers concerned"))
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
    measures = FieldList(FormField(MeasureRow), min_entries=1, max_entries=50)
    repeatable = ("measures",)
    dated_kinds = sorted(DATED)
    details_hints = DETAILS_HINTS

    @classmethod
    def initial(cls, ctx: StepContext) -> dict[str, Any]:
        return {
            "measures": [
                {
                    "kind": m.kind.value,
                    "identifiers": [str(i) for i in m.identifiers],
                    "date_from": m.date_from,
                    "date_to": m.date_to,
                    "details": m.details,
                }
                for m in ctx.document.measures
            ]
        }

    def prepare(self, ctx: StepContext) -> None:
        kinds = dict(IDENTIFIER_KINDS)
        identifiers = [
            (str(i), f"{ident.value or '?'} ({kinds.get(ident.kind, ident.kind)})")
            for i, ident in enumerate(ctx.document.identifiers)
        ]
        for row in self.measures:
            row.form.kind.choices = [("", _l("Choose a measure")), *KINDS]
            row.form.identifiers.choices = identifiers

    def apply(self, content: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(content)
        out["measures"] = [
            {
                "kind": row.form.kind.data,
                "identifiers": sorted({int(v) for v in row.form.identifiers.data or []}),
                "date_from": iso(row.form.date_from.data),
                "date_to": iso(row.form.date_to.data),
                "details": (row.form.details.data or "").strip(),
            }
            for row in self.measures
            if not row.form.is_blank()
        ]
        return out

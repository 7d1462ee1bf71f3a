"""Step 2: the offences, one row each."""

from __future__ import annotations

import copy
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, Form, FormField, StringField
from wtforms.validators import ValidationError

from forms.validators import at_most
from forms.wizard.base import LINE, NumberInput, StepContext, StepForm, typed
from mlat.request_format import MAX_OFFENCES, MAX_PENALTY_YEARS


class OffenceRow(Form):  # type: ignore[misc]
    name = StringField(_l("Name of the offence"), validators=[at_most(LINE)])
    citation = StringField(
        _l("Statutory provision"),
        description=_l("e.g. Law No. 14 of 2014 on the Prevention of Cybercrimes, art. 11"),
        validators=[at_most(LINE)],
    )
    max_penalty_years = NumberInput(_l("Maximum penalty in years"))
    death_penalty_possible = BooleanField(_l("The death penalty is possible for this offence"))
    equivalent_offence = StringField(
        _l("Corresponding offence in the requested state"),
        description=_l("For dual criminality, e.g. Wire fraud, 18 U.S.C. § 1343"),
        validators=[at_most(LINE)],
    )

    def is_blank(self) -> bool:
        fields = (self.name, self.citation, self.max_penalty_years, self.equivalent_offence)
        return not any(typed(f) for f in fields) and not self.death_penalty_possible.data

    def validate_max_penalty_years(self, field: Any) -> None:
        if field.data is not None and not 0 <= field.data <= MAX_PENALTY_YEARS:
            raise ValidationError(
                _l("Enter a number of years from 0 to %(n)d.", n=MAX_PENALTY_YEARS)
            )

    def validate_name(self, field: Any) -> None:
        if not (field.data or "").strip() and not self.is_blank():
            raise ValidationError(_l("Name the offence, or remove this row."))


class OffencesForm(StepForm):
    offences = FieldList(FormField(OffenceRow), min_entries=1, max_entries=MAX_OFFENCES)
    repeatable = ("offences",)

    @classmethod
    def initial(cls, ctx: StepContext) -> dict[str, Any]:
        return {"offences": [o.model_dump() for o in ctx.document.offences]}

    def apply(self, content: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(content)
        out["offences"] = [
            {
                "name": (row.form.name.data or "").strip(),
                "citation": (row.form.citation.data or "").strip(),
                "max_penalty_years": row.form.max_penalty_years.data,
                "death_penalty_possible": bool(row.form.death_penalty_possible.data),
                "equivalent_offence": (row.form.equivalent_offence.data or "").strip(),
            }
            for row in self.offences
            if not row.form.is_blank()
        ]
        return out

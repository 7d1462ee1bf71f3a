"""Step 6: urgency, preservation, confidentiality, assurances, formalities, signatory."""

from __future__ import annotations

import copy
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Form, FormField, StringField, TextAreaField
from wtforms.validators import ValidationError

from forms.validators import at_most
from forms.wizard.base import (
    LINE,
    TEXT,
    CheckboxesField,
    DateInput,
    StepContext,
    StepForm,
    iso,
    options,
)
from mlat.labels import ASSURANCE_LABELS
from mlat.wizard import preservation_lapses_on

ASSURANCES = [*((key, _l(text)) for key, text in ASSURANCE_LABELS.items())]


class UrgencyForm(Form):  # type: ignore[misc]
    urgent = BooleanField(_l("The request is urgent"))
    danger_to_life = BooleanField(
        _l("Emergency: a person's life or physical safety is at risk"),
        description=_l(
            "The route advisor then lists the emergency procedures. An emergency request "
            "is urgent too."
        ),
    )
    reason = TextAreaField(
        _l("Why it is urgent"),
        description=_l("e.g. the data will be deleted, a suspect will leave, a life is at risk."),
        validators=[at_most(TEXT)],
        render_kw={"rows": 3},
    )
    deadline = DateInput(_l("Evidence needed by"))


class PreservationForm(Form):  # type: ignore[misc]
    requested = BooleanField(_l("Preservation of the data has been requested"))
    reference = StringField(_l("Reference of the preservation request"), validators=[at_most(LINE)])
    requested_on = DateInput(_l("Preservation requested on"))
    expires_on = DateInput(_l("Preservation expires on"))

    def validate_expires_on(self, field: Any) -> None:
        if field.data and self.requested_on.data and field.data < self.requested_on.data:
            raise ValidationError(_l("The preservation cannot expire before it was requested."))


class ConfidentialityForm(Form):  # type: ignore[misc]
    non_disclosure = BooleanField(_l("The account holder must not be told of the request"))
    reason = TextAreaField(
        _l("Why disclosure would harm the case"), validators=[at_most(TEXT)], render_kw={"rows": 3}
    )


class SignatoryForm(Form):  # type: ignore[misc]
    name = StringField(_l("Name of the signatory"), validators=[at_most(LINE)])
    title = StringField(_l("Title and office"), validators=[at_most(LINE)])


class SafeguardsForm(StepForm):
    urgency = FormField(UrgencyForm, label=_l("Urgency"))
    preservation = FormField(PreservationForm, label=_l("Preservation"))
    confidentiality = FormField(ConfidentialityForm, label=_l("Confidentiality"))
    assurances = CheckboxesField(_l("Assurances given"), choices=options(ASSURANCES))
    procedures = TextAreaField(
        _l("Procedures and formalities to follow"),
        description=_l(
            "How the evidence must be taken or certified to be admissible, e.g. a business "
            "records certificate, an oath, the presence of your officials."
        ),
        validators=[at_most(TEXT)],
        render_kw={"rows": 4},
    )
    legal_remedies = TextAreaField(
        _l("Legal remedies"),
        description=_l(
            "Whether a remedy has been sought against the measures in your state, and which "
            "remedies the persons concerned have there."
        ),
        validators=[at_most(TEXT)],
        render_kw={"rows": 3},
    )
    signatory = FormField(SignatoryForm, label=_l("Signatory"))

    @classmethod
    def initial(cls, ctx: StepContext) -> dict[str, Any]:
        doc = ctx.document
        return {
            "urgency": doc.urgency.model_dump(),
            "preservation": doc.preservation.model_dump(),
            "confidentiality": doc.confidentiality.model_dump(),
            "assurances": list(doc.assurances),
            "procedures": doc.procedures,
            "legal_remedies": doc.legal_remedies,
            "signatory": doc.signatory.model_dump(),
        }

    def prepare(self, ctx: StepContext) -> None:
        ctx.extra["lapses_on"] = preservation_lapses_on(ctx.document, ctx.table)

    def apply(self, content: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(content)
        urgency, pres = self.urgency.form, self.preservation.form
        conf, sign = self.confidentiality.form, self.signatory.form
        chosen = self.assurances.data or []
        out.update(
            urgency={
                "urgent": bool(urgency.urgent.data),
                "danger_to_life": bool(urgency.danger_to_life.data),
                "reason": (urgency.reason.data or "").strip(),
                "deadline": iso(urgency.deadline.data),
            },
            preservation={
                "requested": bool(pres.requested.data),
                "reference": (pres.reference.data or "").strip(),
                "requested_on": iso(pres.requested_on.data),
                "expires_on": iso(pres.expires_on.data),
            },
            confidentiality={
                "non_disclosure": bool(conf.non_disclosure.data),
                "reason": (conf.reason.data or "").strip(),
            },
            assurances=[value for value, _label in ASSURANCES if value in chosen],
            procedures=(self.procedures.data or "").strip(),
            legal_remedies=(self.legal_remedies.data or "").strip(),
            signatory={
                "name": (sign.name.data or "").strip(),
                "title": (sign.title.data or "").strip(),
            },
        )
        return out

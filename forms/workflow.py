"""Forms for workflow actions: one form carries what any action may ask for; the
transition table (``mlat.workflow``) says which of its fields an action needs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional

from forms.validators import at_most
from mlat.services.workflow import MAX_COMMENT

# The parts of a request a reviewer can comment on, by their path in the request format.
COMMENT_TARGETS: tuple[tuple[str, str], ...] = (
    ("", _l("The request as a whole")),
    ("requesting_authority", _l("Requesting authority")),
    ("legal_basis", _l("Legal basis and channel")),
    ("proceedings", _l("Proceedings")),
    ("offences", _l("Offences")),
    ("facts", _l("Summary of facts")),
    ("nexus", _l("Why the evidence is needed")),
    ("persons", _l("Persons")),
    ("identifiers", _l("Identifiers")),
    ("measures", _l("Measures requested")),
    ("urgency", _l("Urgency")),
    ("preservation", _l("Preservation")),
    ("confidentiality", _l("Confidentiality")),
    ("assurances", _l("Assurances")),
    ("procedures", _l("Procedures and formalities")),
    ("annexes", _l("Annexes")),
    ("signatory", _l("Signatory")),
)


class TransitionForm(FlaskForm):  # type: ignore[misc]
    version = HiddenField(validators=[InputRequired()])
    seen_digest = HiddenField()
    comment = TextAreaField(_l("Comment or reason"), validators=[Optional(), at_most(MAX_COMMENT)])
    on = DateField(_l("Date"), validators=[Optional()])
    channel = SelectField(_l("Channel"), validate_choice=False, validators=[Optional()])
    foreign_reference = StringField(
        _l("Reference given by the requested state"), validators=[Optional(), at_most(100)]
    )
    # Signing: the prosecutor confirms what they sign and proves it is them.
    confirm = BooleanField(
        _l("I have read the request and its annexes, and I sign them as they stand.")
    )
    password = PasswordField(_l("Your password"), validators=[Optional(), at_most(1000)])
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[Optional(), at_most(20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


def comment_field_name(path: str) -> str:
    """The name of the review page's comment box for a part of the request."""
    return f"note-{path or 'general'}"

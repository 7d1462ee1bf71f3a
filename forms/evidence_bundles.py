"""Exporting evidence as a signed bundle, and checking a bundle
(``mlat.views.evidence_bundles``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired

from forms.validators import at_most


class ExportForm(FlaskForm):  # type: ignore[misc]
    recipient = StringField(
        _l("For"),
        description=_l(
            "The court, lab or partner the bundle is for, e.g. 'Criminal Court of Doha'."
        ),
        validators=[DataRequired(_l("Name who the bundle is for.")), at_most(300)],
    )
    reason = TextAreaField(
        _l("Why"),
        description=_l("It goes into each file's chain of custody, with the recipient."),
        validators=[DataRequired(_l("Say why the evidence is exported.")), at_most(2000)],
    )


class CheckBundleForm(FlaskForm):  # type: ignore[misc]
    bundle = FileField(
        _l("Evidence bundle (.asice)"),
        description=_l("The bundle as it was received: it is checked, never stored."),
        validators=[FileRequired(_l("Choose the bundle to check."))],
    )
    certificate = FileField(
        _l("Certificate you trust (optional)"),
        description=_l(
            "The sending unit's seal certificate or its authority's, PEM or DER, as the unit "
            "gave it to you. Without it, the certificates this installation trusts are used."
        ),
    )

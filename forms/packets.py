"""The form that checks a packet someone holds against what this installation signed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class VerifyForm(FlaskForm):  # type: ignore[misc]
    file = FileField(
        _l("Packet (PDF)"),
        description=_l("The PDF as it was received or sent: it is checked, never stored."),
        validators=[FileRequired(_l("Choose the PDF file to check."))],
    )

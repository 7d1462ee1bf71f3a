"""Recording evidence received, and what is done with an item (``mlat.views.evidence``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional

from forms.filters import IsoDateField
from forms.validators import at_most

SENDER_KIND_LABELS = {
    "authority": _l("An authority of the requested state"),
    "provider": _l("A service provider"),
}
CHANNEL_LABELS = {
    "portal": _l("Download from a portal"),
    "courier": _l("Courier or post"),
    "email": _l("E-mail"),
    "network_24_7": _l("24/7 network"),
    "diplomatic": _l("Diplomatic channel"),
    "other": _l("Other"),
}
CUSTODY_LABELS = {
    "received": _l("Received"),
    "viewed": _l("Its record viewed"),
    "downloaded": _l("Downloaded"),
    "exported": _l("Exported"),
    "handed_over": _l("Handed over"),
    "access": _l("Access changed"),
    "retention": _l("Retention decided"),
    "destroyed": _l("Destroyed"),
}
ANSWER_LABELS = {
    "": _l("Not answered by this"),
    "part": _l("Answered in part"),
    "full": _l("Answered in full"),
}


class ReceiptForm(FlaskForm):  # type: ignore[misc]
    received_on = IsoDateField(
        _l("Received on"),
        validators=[InputRequired(_l("Enter the day the evidence arrived."))],
    )
    sender = StringField(
        _l("Sender"),
        description=_l("The authority or the provider that sent it, as it names itself."),
        validators=[DataRequired(_l("Name the sender.")), at_most(300)],
    )
    sender_kind = SelectField(
        _l("The sender is"),
        choices=[SelectChoice(k, v) for k, v in SENDER_KIND_LABELS.items()],
        default="authority",
    )
    channel = SelectField(
        _l("Channel"),
        choices=[SelectChoice(k, v) for k, v in CHANNEL_LABELS.items()],
        default="portal",
    )
    sender_reference = StringField(
        _l("The sender's reference"), validators=[Optional(), at_most(200)]
    )
    certificate = TextAreaField(
        _l("Certificate of authenticity"),
        description=_l(
            "What came with it to attest the records, e.g. a business-records certificate "
            "signed by the provider's custodian on 2026-11-30; empty if none."
        ),
        validators=[Optional(), at_most(5000)],
    )
    files = MultipleFileField(
        _l("Files received"),
        description=_l(
            "As they came, one or more; they are kept encrypted and never opened by the app."
        ),
    )
    digests = TextAreaField(
        _l("Digests the sender gave (SHA-256)"),
        description=_l(
            "Optional: one line per file, the digest then the file's name, as sha256sum "
            "writes them. Each file's digest is compared with the one given."
        ),
        validators=[Optional(), at_most(100_000)],
    )


class DownloadForm(FlaskForm):  # type: ignore[misc]
    reason = StringField(
        _l("Why you download it"),
        description=_l("It goes into the item's chain of custody."),
        validators=[DataRequired(_l("Say why you download it.")), at_most(2000)],
    )


class HandOverForm(FlaskForm):  # type: ignore[misc]
    recipient = StringField(
        _l("Handed to"),
        description=_l("The person or the lab, e.g. 'Digital forensics lab, Doha police'."),
        validators=[DataRequired(_l("Name who received it.")), at_most(300)],
    )
    reason = StringField(_l("Why"), validators=[Optional(), at_most(2000)])

"""The forms of a unit's webhook endpoints (``mlat.views.webhooks``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired

from forms.validators import at_most
from forms.wizard.base import CheckboxesField
from mlat.services.webhook_events import WebhookEvent
from mlat.services.webhooks import DESCRIPTION_MAX, URL_MAX

EVENT_LABELS = {
    WebhookEvent.request_submitted: _l("A request is submitted for review"),
    WebhookEvent.request_returned: _l("A request is returned to its officer"),
    WebhookEvent.request_approved: _l("A request is approved"),
    WebhookEvent.request_signed: _l("A request is signed"),
    WebhookEvent.request_transmitted: _l("A request's transmission is recorded"),
    WebhookEvent.request_status_recorded: _l(
        "What the requested state did is recorded: acknowledged, executed in part or in "
        "full, or refused"
    ),
    WebhookEvent.preservation_lapsing_14: _l("A preservation lapses within 14 days"),
    WebhookEvent.preservation_lapsing_7: _l("A preservation lapses within 7 days"),
    WebhookEvent.packet_ready: _l("A packet is ready to download"),
    WebhookEvent.case_request_changed: _l(
        "A request of a case the unit leads or shares takes a step, whichever unit's it is"
    ),
}


def _event_choices() -> list[tuple[str, str]]:
    return [(event.value, str(label)) for event, label in EVENT_LABELS.items()]


class WebhookForm(FlaskForm):  # type: ignore[misc]
    """A new endpoint: where the events go, and which."""

    url = StringField(
        _l("Address"),
        description=_l(
            "An https address on the internet, such as https://case-system.example.org/hooks. "
            "Addresses on private or internal networks are refused unless the installation "
            "allows them."
        ),
        validators=[
            DataRequired(_l("Enter the address the events are sent to.")),
            at_most(URL_MAX),
        ],
    )
    description = StringField(
        _l("Description"),
        description=_l("What receives the events, for the unit's administrators."),
        validators=[at_most(DESCRIPTION_MAX)],
    )
    events = CheckboxesField(
        _l("Events"),
        choices=_event_choices,
        validators=[DataRequired(_l("Choose at least one event."))],
    )
    include_content = BooleanField(
        _l("Include the request's content"),
        description=_l(
            "Each delivery then carries the whole request document. Without it, a delivery "
            "names the request only by its reference, status and link."
        ),
    )


class WebhookEditForm(WebhookForm):
    active = BooleanField(
        _l("Active"), description=_l("Events are sent while the endpoint is active.")
    )


class DeleteWebhookForm(FlaskForm):  # type: ignore[misc]
    confirm = BooleanField(
        _l("Delete this endpoint and its delivery log"),
        validators=[DataRequired(_l("Tick the box to confirm that the endpoint is deleted."))],
    )


class WebhookActionForm(FlaskForm):  # type: ignore[misc]
    """Only the CSRF token: the button says what it does (rotate a secret, replay)."""

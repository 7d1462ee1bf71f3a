"""Step 1: the route (requested state, legal basis, channel, language) and who asks."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from wtforms import (
    EmailField,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Optional, ValidationError

from forms.states import RequestedStateSelect
from forms.validators import at_most, iana_timezone, requested_state
from forms.wizard.base import (
    LINE,
    StepContext,
    StepForm,
    choice_in,
    language_choices,
    options,
)
from mlat.i18n import current_language, label
from mlat.labels import PROCEEDINGS_LABELS, RESPONSE_LABELS
from mlat.request_format import MAX_RELATED, Channel
from mlat.rules.addressee import addressee
from mlat.rules.instruments import BasisChoices, basis_choices
from mlat.rules.loader import rulebook
from mlat.rules.routes import Case, advise

PROCEEDINGS = [
    ("", _l("Choose the stage")),
    *((key, _l(text)) for key, text in PROCEEDINGS_LABELS.items()),
]
STATUSES = [
    ("new", _l("A new request")),
    ("follow_up", _l("A follow-up to an earlier request")),
    ("extension", _l("An extension of an earlier request")),
]


RESPONSES = [
    ("", _l("No preference")),
    *((key, _l(text)) for key, text in RESPONSE_LABELS.items()),
]


def _email(text: Any) -> EmailField:
    return EmailField(
        text,
        validators=[
            Optional(),
            Email(
                _l("Enter an e-mail address such as name@example.org."), check_deliverability=False
            ),
            at_most(LINE),
        ],
    )


class AuthorityForm(Form):  # type: ignore[misc]
    name = StringField(_l("Requesting authority"), validators=[at_most(LINE)])
    office = StringField(_l("Office"), validators=[at_most(LINE)])
    address = StringField(_l("Postal address"), validators=[at_most(LINE)])
    contact_person = StringField(_l("Contact person"), validators=[at_most(LINE)])
    phone = StringField(_l("Phone"), validators=[at_most(LINE)])
    mobile = StringField(_l("Mobile phone"), validators=[at_most(LINE)])
    fax = StringField(_l("Fax"), validators=[at_most(LINE)])
    email = _email(_l("E-mail address"))
    preferred_response = SelectField(
        _l("Preferred means of response"),
        choices=options(RESPONSES),
        validators=[choice_in(RESPONSES, _l("Choose one of the options."))],
        validate_choice=False,
    )
    languages = StringField(
        _l("Languages you can correspond in"),
        description=_l("Language codes separated by commas, e.g. ar, en."),
        validators=[at_most(200)],
    )
    backup_name = StringField(
        _l("Second contact person"),
        description=_l("Someone to reach when the contact person is away."),
        validators=[at_most(LINE)],
    )
    backup_phone = StringField(_l("Phone of the second contact"), validators=[at_most(LINE)])
    backup_email = _email(_l("E-mail address of the second contact"))

    def validate_languages(self, field: Any) -> None:
        _known_languages(language_codes(field.data))

    timezone = StringField(
        _l("Time zone"),
        description=_l("IANA name such as Asia/Qatar, so that calls come in your office hours."),
        validators=[at_most(64), iana_timezone],
    )
    office_hours = StringField(
        _l("Office hours"),
        description=_l("e.g. 07:00-14:00 Sunday-Thursday"),
        validators=[at_most(LINE)],
    )


class ProceedingsForm(Form):  # type: ignore[misc]
    type = SelectField(
        _l("Stage of the proceedings"),
        choices=options(PROCEEDINGS),
        validators=[choice_in(PROCEEDINGS, _l("Choose a stage from the list."))],
        validate_choice=False,
    )
    case_number = StringField(_l("Case number"), validators=[at_most(LINE)])
    authority = StringField(_l("Court or prosecutor in charge"), validators=[at_most(LINE)])


class ValidationForm(Form):  # type: ignore[misc]
    """EIO Annex A, section L: only where the issuing authority is not a judge or
    prosecutor."""

    name = StringField(_l("Validating judge or prosecutor's office"), validators=[at_most(LINE)])
    person = StringField(_l("Name and position of who validated"), validators=[at_most(LINE)])
    address = StringField(_l("Address"), validators=[at_most(LINE)])
    phone = StringField(_l("Phone"), validators=[at_most(LINE)])
    email = _email(_l("E-mail address"))


class InvestigationForm(Form):  # type: ignore[misc]
    """Item 7 of the T-CY models: only where an authority other than the requesting one
    runs the investigation."""

    name = StringField(_l("Investigating or operational authority"), validators=[at_most(LINE)])
    person = StringField(_l("Person in charge of the case"), validators=[at_most(LINE)])
    address = StringField(_l("Address"), validators=[at_most(LINE)])
    phone = StringField(_l("Phone"), validators=[at_most(LINE)])
    mobile = StringField(_l("Mobile phone"), validators=[at_most(LINE)])
    email = _email(_l("E-mail address"))
    fax = StringField(_l("Fax"), validators=[at_most(LINE)])


class AddresseeForm(Form):  # type: ignore[misc]
    """The receiving authority's contact details the rule table lacks, as the officer
    confirmed them; each one given replaces the table's in the packet."""

    name = StringField(_l("Authority the request goes to"), validators=[at_most(LINE)])
    address = StringField(_l("Postal address"), validators=[at_most(LINE)])
    email = _email(_l("E-mail address"))
    phone = StringField(_l("Phone"), validators=[at_most(LINE)])


def _instrument_choices() -> list[tuple[str, str]]:
    return [(slug, inst.name) for slug, inst in rulebook().instruments.instruments.items()]


CHANNELS = [(c.value, label("channel", c)) for c in Channel]
DOCUMENTS = [
    ("", _l("As the measures and the legal basis decide")),
    ("mla", _l("A letter of request for mutual legal assistance")),
    (
        "preservation",
        _l("A request for expedited preservation (Convention on Cybercrime, Art. 29)"),
    ),
    (
        "subscriber",
        _l("A request for subscriber information (Convention on Cybercrime, Art. 31)"),
    ),
]


class RouteForm(StepForm):
    title = StringField(
        _l("Title"),
        description=_l("A short name for the case, e.g. 'Ransomware attack on Doha hospital'."),
        validators=[
            DataRequired(_l("Enter a title.")),
            at_most(200),
        ],
    )
    requested_state = SelectField(
        _l("Requested state"),
        description=_l("The state that holds the evidence."),
        validators=[DataRequired(_l("Choose the requested state.")), requested_state],
        validate_choice=False,
        widget=RequestedStateSelect(),
    )
    status = SelectField(_l("This is"), choices=options(STATUSES), validate_choice=False)
    related_requests = TextAreaField(
        _l("Earlier related requests"),
        description=_l("One per line: reference and date of each earlier request."),
    )
    legal_basis = RadioField(
        _l("Legal basis"),
        description=_l("Instruments in force between your state and the requested state today."),
        validate_choice=False,
    )
    channel = SelectField(_l("Channel"), validate_choice=False)
    document = SelectField(
        _l("Document to produce"),
        description=_l(
            "Under the Convention on Cybercrime, a request that only asks for data to be "
            "preserved becomes a request for expedited preservation (Article 29), and one that "
            "only asks for subscriber information a request under Article 31; every other "
            "request becomes a letter of request."
        ),
        choices=options(DOCUMENTS),
        validators=[choice_in(DOCUMENTS, _l("Choose one of the options."))],
        validate_choice=False,
    )
    language = SelectField(_l("Language of the request"), validate_choice=False)
    translations = StringField(
        _l("Translations attached"),
        description=_l("Language codes separated by commas, e.g. en, fr."),
        validators=[at_most(200)],
    )
    requesting_authority = FormField(AuthorityForm, label=_l("Requesting authority"))
    proceedings = FormField(ProceedingsForm, label=_l("Proceedings"))
    investigating_authority = FormField(InvestigationForm, label=_l("Investigating authority"))
    validating_authority = FormField(ValidationForm, label=_l("Validation by a judicial authority"))
    addressee = FormField(AddresseeForm, label=_l("Addressee"))

    @classmethod
    def initial(cls, ctx: StepContext) -> dict[str, Any]:
        doc = ctx.document
        authority = doc.requesting_authority.model_dump()
        if not authority["timezone"]:
            authority["timezone"] = ctx.unit_timezone
        backup = authority.pop("backup_contact")
        authority |= {
            "preferred_response": authority["preferred_response"] or "",
            "languages": ", ".join(authority["languages"]),
            "backup_name": backup["name"],
            "backup_phone": backup["phone"],
            "backup_email": backup["email"],
        }
        return {
            "title": ctx.request.title,
            "requested_state": ctx.request.requested_state,
            "status": doc.status,
            "related_requests": "\n".join(doc.related_requests),
            "legal_basis": doc.legal_basis,
            "channel": doc.channel.value if doc.channel else "",
            "language": doc.language or "",
            "document": doc.document or "",
            "translations": ", ".join(doc.translations),
            "requesting_authority": authority,
            "proceedings": {**doc.proceedings.model_dump(), "type": doc.proceedings.type or ""},
            "investigating_authority": doc.investigating_authority.model_dump(),
            "validating_authority": doc.validating_authority.model_dump(),
            "addressee": doc.addressee.model_dump(),
        }

    def prepare(self, ctx: StepContext) -> None:
        """The legal bases and channels in the order the route advisor ranks them for
        this case. On a first look at a request without a legal basis, the advisor's first
        route is pre-selected as a suggestion, which only saving the step applies."""
        from mlat.countries import state_choices

        states = state_choices(current_language())
        self.requested_state.choices = [("", _l("Choose a state")), *states]
        self.own_state = self.requested_state.own_state = ctx.unit_state
        case = replace(
            Case.of(ctx.document, ctx.unit_state), requested=ctx.request.requested_state or ""
        )
        advice = advise(rulebook(), case, ctx.today)
        found = basis_choices(
            rulebook().instruments, ctx.unit_state, ctx.request.requested_state, ctx.today
        )
        ranked = list(dict.fromkeys(r.legal_basis for r in advice.routes))
        bases = BasisChoices(
            sorted(found.linking, key=lambda lk: (lk.slug not in ranked, _rank(ranked, lk.slug))),
            found.others,
        )
        self.legal_basis.choices = [
            (lk.slug, lk.instrument.name) for lk in [*bases.linking, *bases.others]
        ]
        advised = list(dict.fromkeys(r.channel.value for r in advice.routes))
        self.channel.choices = [
            ("", _l("Choose the channel")),
            *sorted(CHANNELS, key=lambda c: (c[0] not in advised, _rank(advised, c[0]))),
        ]
        self.language.choices = [("", _l("Choose a language")), *language_choices()]
        suggestion = advice.suggestion
        if suggestion and not self.is_submitted() and not self.legal_basis.data:
            self.legal_basis.data = suggestion.legal_basis
            self.channel.data = self.channel.data or suggestion.channel.value
            ctx.extra["suggested"] = suggestion
        ctx.extra.update(
            bases=bases,
            advice=advice,
            addressee=addressee(ctx.document, ctx.table, rulebook().providers),
        )

    def validate_legal_basis(self, field: Any) -> None:
        if field.data and field.data not in dict(_instrument_choices()):
            raise ValidationError(_l("Choose a legal basis from the list."))

    def validate_channel(self, field: Any) -> None:
        if field.data and field.data not in {c.value for c in Channel}:
            raise ValidationError(_l("Choose a channel from the list."))

    def validate_language(self, field: Any) -> None:
        if field.data and field.data not in dict(language_choices()):
            raise ValidationError(_l("Choose a language from the list."))

    def validate_translations(self, field: Any) -> None:
        _known_languages(self.translation_codes())

    def validate_status(self, field: Any) -> None:
        if field.data not in dict(STATUSES):
            raise ValidationError(_l("Choose one of the options."))

    def validate_related_requests(self, field: Any) -> None:
        lines = self.related_lines()
        if len(lines) > MAX_RELATED:
            raise ValidationError(
                lazy_ngettext(
                    "List at most %(num)d earlier request.",
                    "List at most %(num)d earlier requests.",
                    MAX_RELATED,
                )
            )
        if any(len(line) > LINE for line in lines):
            raise ValidationError(
                lazy_ngettext(
                    "Keep each line to %(num)d character.",
                    "Keep each line to %(num)d characters.",
                    LINE,
                )
            )

    def translation_codes(self) -> list[str]:
        return language_codes(self.translations.data)

    def related_lines(self) -> list[str]:
        lines = (self.related_requests.data or "").splitlines()
        return [line.strip() for line in lines if line.strip()]

    def apply(self, content: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(content)
        given = {k: (v or "").strip() for k, v in self.requesting_authority.data.items()}
        authority = {
            **{k: v for k, v in given.items() if not k.startswith("backup_")},
            "preferred_response": given["preferred_response"] or None,
            "languages": language_codes(given["languages"]),
            "backup_contact": {
                "name": given["backup_name"],
                "phone": given["backup_phone"],
                "email": given["backup_email"],
            },
        }
        investigation = {k: (v or "").strip() for k, v in self.investigating_authority.data.items()}
        validation = {k: (v or "").strip() for k, v in self.validating_authority.data.items()}
        confirmed = {k: (v or "").strip() for k, v in self.addressee.data.items()}
        proceedings = dict(self.proceedings.data)
        out.update(
            status=self.status.data,
            related_requests=self.related_lines(),
            legal_basis=self.legal_basis.data or "",
            channel=self.channel.data or None,
            document=self.document.data or None,
            language=self.language.data or None,
            translations=self.translation_codes(),
            requesting_authority=authority,
            proceedings={
                "type": proceedings["type"] or None,
                "case_number": (proceedings["case_number"] or "").strip(),
                "authority": (proceedings["authority"] or "").strip(),
            },
            investigating_authority=investigation,
            validating_authority=validation,
            addressee=confirmed,
        )
        return out

    def columns(self) -> dict[str, str]:
        return {
            "title": (self.title.data or "").strip(),
            "requested_state": (self.requested_state.data or "").upper(),
        }


def _known_languages(codes: list[str]) -> None:
    known = dict(language_choices())
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError(
            _l(
                "Not a language code: %(codes)s. Use two letters, e.g. en.",
                codes=", ".join(unknown),
            )
        )


def language_codes(raw: str | None) -> list[str]:
    """Two-letter codes typed with commas, semicolons or spaces between them."""
    text = (raw or "").replace(";", ",").replace(" ", ",")
    return list(dict.fromkeys(c.strip().lower() for c in text.split(",") if c.strip()))


def _rank(order: list[str], value: str) -> int:
    return order.index(value) if value in order else len(order)

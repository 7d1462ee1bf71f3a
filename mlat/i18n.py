"""Flask-Babel: every user-facing string goes through gettext; dates in the user's locale."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from typing import Literal

from babel import Locale
from babel.dates import get_date_format, get_datetime_format, get_time_format
from flask import Flask, request
from flask_babel import Babel, force_locale, get_locale, get_timezone, gettext, ngettext
from flask_login import current_user
from markupsafe import Markup

from mlat.countries import state_name
from mlat.labels import LABELS
from mlat.rules.words import Speaker, WordKind, language_names
from mlat.services.format_errors import ContentProblem, path_parts, where

# The interface's languages, each named in itself as the language switcher shows it: the
# six official languages of the United Nations. Catalogues: mlat/translations/<code>/.
LANGUAGES: dict[str, str] = {
    "ar": "العربية",
    "zh": "中文（简体）",  # noqa: RUF001 (Chinese punctuation)
    "en": "English",
    "fr": "Français",
    "ru": "Русский",
    "es": "Español",
}
SUPPORTED_LOCALES = tuple(LANGUAGES)
DEFAULT_LOCALE = "en"
RIGHT_TO_LEFT = frozenset({"ar"})
# The language tag of each interface language for HTML's lang attribute (BCP 47).
LANGUAGE_TAGS = {"zh": "zh-Hans"}
# A visitor's choice before logging in (and a user's, on this browser): one year.
LANGUAGE_COOKIE = "mlat_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

babel = Babel()


def select_locale() -> str | None:
    """The account's preference; else this browser's choice from the switcher; else the
    best match for the browser's Accept-Language; else English."""
    if current_user.is_authenticated and current_user.locale in SUPPORTED_LOCALES:
        return str(current_user.locale)
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    if chosen in SUPPORTED_LOCALES:
        return chosen
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or DEFAULT_LOCALE


def current_language() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


def text_direction(language: str | None = None) -> str:
    return "rtl" if (language or current_language()) in RIGHT_TO_LEFT else "ltr"


def language_tag(language: str | None = None) -> str:
    code = language or current_language()
    return LANGUAGE_TAGS.get(code, code)


def gettext_in(language: str) -> Callable[..., str]:
    """gettext in another language than the page's: e-mails go out in the recipient's
    language (their preference, else the installation's default), not the sender's."""
    chosen = language if language in SUPPORTED_LOCALES else DEFAULT_LOCALE

    def translate(text: str, **params: object) -> str:
        with force_locale(chosen):
            return str(gettext(text, **params))

    return translate


def select_timezone() -> str | None:
    if current_user.is_authenticated:
        return str(current_user.unit.timezone)
    return None


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_template_helpers(app)


@lru_cache(maxsize=64)
def _translated_labels(kind: str, locale: Locale) -> dict[str, str]:
    """The labels of one kind translated into ``locale`` (the current request's, in which
    they are translated), once rather than for each of a page's rows."""
    return {key: gettext(text) for key, text in LABELS[kind].items()}


def label(kind: str, value: object) -> str:
    """The translated label of an enumerated value, e.g. label('measure', 'stored_content')."""
    key = str(getattr(value, "value", value))
    locale = get_locale()
    if locale is None:  # outside a request: gettext has no locale to cache by
        return str(LABELS[kind].get(key, key))
    return _translated_labels(kind, locale).get(key, key)


def status_label(status: str) -> str:
    return label("status", status)


Width = Literal["full", "long", "medium", "short"]


def _in_zone(value: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The time in ``zone`` as Babel and Flask-Babel compute it; a naive time is UTC.

    Babel also calls a pytz zone's ``normalize`` on the result, which only changes a time
    made by arithmetic: ``astimezone`` goes through the zone's ``fromutc``, which already
    picks the offset in force, so it is left out (a third of the cost of a time shown)."""
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(zone)


@lru_cache(maxsize=64)
def datetime_formatter(
    locale: Locale, zone: dt.tzinfo, width: Width
) -> Callable[[dt.datetime], str]:
    """Formats a time as ``flask_babel.format_datetime(value, width)`` does in that locale
    and time zone, with Babel's patterns looked up once rather than on every call."""
    # Babel types this as a pattern; it is the plain "{1}, {0}" string.
    joined = str(get_datetime_format(width, locale=locale)).replace("'", "")
    time_pattern = get_time_format(width, locale=locale)

    def format_datetime(value: dt.datetime) -> str:
        local = _in_zone(value, zone)
        time = str(time_pattern.apply(local.timetz(), locale, reference_date=local.date()))
        return joined.replace("{0}", time).replace("{1}", format_day(locale, width, local.date()))

    return format_datetime


@lru_cache(maxsize=4096)
def format_day(locale: Locale, width: Width, day: dt.date) -> str:
    """A calendar day as ``babel.dates.format_date`` gives it; pages show the same few days
    many times."""
    return str(get_date_format(width, locale=locale).apply(day, locale))


def _locale() -> Locale:
    return get_locale() or Locale.parse("en")


def datetime_local(value: dt.datetime | None) -> str:
    """A stored UTC time in the user's locale and unit time zone."""
    return datetime_formatter(_locale(), get_timezone(), "medium")(value) if value else ""


def date_local(value: dt.date | None) -> str:
    """A day in the user's locale; a time is first moved to the unit's time zone."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = _in_zone(value, get_timezone()).date()
    return format_day(_locale(), "medium", value)


def stored_date(value: object) -> str:
    """A day kept in a request's content as text (2026-03-31), in the user's locale; text
    that is not a day is shown as it is."""
    if isinstance(value, str):
        try:
            return date_local(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return date_local(value) if isinstance(value, dt.date) else ""


def stored_instant(value: object) -> str:
    """A time of use kept as text with its offset, in the user's locale and in the offset
    it was given in (as a provider will look it up), e.g. "Mar 9, 2026, 10:14:22 AM
    (UTC+03:00)"."""
    if not isinstance(value, str):
        return ""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    offset = moment.utcoffset()
    if offset is None:
        shown: str = datetime_formatter(_locale(), dt.UTC, "medium")(moment)
        return f"{shown} {gettext('(time zone not given)')}"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    shown = datetime_formatter(_locale(), dt.timezone(offset), "medium")(moment)
    return f"{shown} (UTC{sign}{hours:02d}:{rest:02d})"


# A colon after a label, as each language sets it: French puts a no-break space before
# it, Chinese uses the full-width colon.
COLONS = {"fr": "\u00a0:", "zh": "\uff1a"}


def colon() -> str:
    return COLONS.get(current_language(), ":")


def isolated(value: object) -> Markup:
    """A value isolated from the text around it, in its own direction (``<bdi>``): a
    phone number or an e-mail address stays left to right in an Arabic page, an Arabic
    name does not reorder the English words beside it, and an override character in it
    cannot reach beyond it."""
    if value is None or value == "":
        return Markup("")
    return Markup("<bdi>%s</bdi>") % value


def rule_text(value: object) -> Markup:
    """Legal text of the rule tables and the catalogue (guidance, notes, declarations),
    written in English and never machine-translated: marked ``lang="en"`` and, in another
    interface language, followed by "(in English)"."""
    if value is None or value == "":
        return Markup("")
    text = Markup('<span lang="en">%s</span>') % value
    if current_language() == "en":
        return text
    marker = Markup(' <small class="in-english">%s</small>') % gettext("(in English)")
    return Markup(text + marker)


FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


def isolated_params(params: dict[str, object]) -> dict[str, object]:
    """Text put into a right-to-left message, each piece isolated in its own direction
    (Unicode's first-strong isolate): an English treaty name ending in a parenthesis
    keeps it at its end inside an Arabic sentence."""
    return {
        key: f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"
        if isinstance(value, str) and value
        else value
        for key, value in params.items()
    }


def language_name(code: str) -> str:
    return language_names(str(get_locale() or "en")).get(code, code) if code else ""


def speaker() -> Speaker:
    """Words messages of the rule layer in the user's language: states and languages by
    their names in it, channels and measures by their labels."""
    locale = str(get_locale() or "en")
    isolate = locale in RIGHT_TO_LEFT

    def say(text: str, /, **params: object) -> str:
        return str(gettext(text, **(isolated_params(params) if isolate else params)))

    def say_n(singular: str, plural: str, number: int, /, **params: object) -> str:
        worded = isolated_params(params) if isolate else params
        return str(ngettext(singular, plural, number, **worded))

    def word(kind: WordKind, code: str) -> str:
        if kind == "state":
            return state_name(code, locale)
        if kind == "language":
            return language_names(locale).get(code, code)
        return label(kind, code)

    return Speaker(gettext=say, ngettext=say_n, word=word, locale=locale)


def field_words(path: str) -> str:
    """A part of the request in words: ``identifiers[1].observed_at`` -> "Identifier 2,
    time of use"."""
    words = speaker()
    parts = where(path_parts(path))
    text = ", ".join(words.say(part.template, part.params) for part in parts)
    return text[:1].upper() + text[1:]


def problem_text(found: ContentProblem) -> str:
    """A problem of a request's content in the user's language: "Offence 1, maximum
    penalty: give a number"."""
    words = speaker()
    where = ", ".join(words.say(part.template, part.params) for part in found.where)
    what = words.say(found.what.template, found.what.params)
    return f"{where}: {what}" if where else what


def instrument_name(slug: str) -> str:
    """The name of an instrument of the catalogue, or the id as given if it has none."""
    from mlat.rules.loader import rulebook

    instrument = rulebook().instruments.instruments.get(slug)
    return instrument.name if instrument else slug


def action_label(action: str) -> str:
    """What a step of the history was, e.g. "Change during review"."""
    from mlat.workflow import BY_ACTION

    step = BY_ACTION.get(action)
    return gettext(step.label) if step else action


def install_template_helpers(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(
        state_name=lambda code: state_name(code, str(get_locale() or "en")),
        status_label=status_label,
        label=label,
        severity_label=lambda value: label("severity", value),
        finding_message=lambda finding: finding.translated(speaker()),
        field_words=field_words,
        say=lambda template, params: speaker().say(template, params),
        current_locale=current_language,
        text_direction=text_direction,
        colon=colon,
        language_tag=language_tag,
        interface_languages=LANGUAGES,
        language_name=language_name,
        instrument_name=instrument_name,
        action_label=action_label,
    )
    app.jinja_env.filters["stored_date"] = stored_date
    app.jinja_env.filters["bdi"] = isolated
    app.jinja_env.filters["language_names"] = lambda codes: ", ".join(map(language_name, codes))
    app.jinja_env.filters["rule_text"] = rule_text
    app.jinja_env.filters["stored_instant"] = stored_instant
    app.jinja_env.filters["years"] = lambda value: f"{float(value):g}"
    app.jinja_env.filters["datetime_local"] = datetime_local
    app.jinja_env.filters["date_local"] = date_local

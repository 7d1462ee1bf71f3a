"""The interface in the six UN languages: complete catalogues, a switcher on every page
that is remembered, the browser's language for anyone without a choice, right-to-left
Arabic, and e-mails in the recipient's language."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from sqlmodel import Session

from mlat.countries import state_choices
from mlat.i18n import LANGUAGE_COOKIE, LANGUAGES, SUPPORTED_LOCALES
from mlat.models import Role, User
from mlat.packets.labels import catalogue_path, label_languages
from mlat.packets.labels import messages as packet_messages
from tests.conftest import Client, LoginAs, MakeRequest, check_page

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "mlat" / "translations"
OTHER_LANGUAGES = [code for code in SUPPORTED_LOCALES if code != "en"]
# The keywords `make messages` extracts with (Makefile).
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_ngettext": (1, 2),
    "N_": None,
    "Np_": (1, 2),
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


@cache
def source_messages() -> dict[str, str | None]:
    """Every message of the code and the templates: its English id, and the plural."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    found: dict[str, str | None] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        if isinstance(message, tuple):
            found[message[0]] = message[1]
        elif message:
            found.setdefault(message, None)
    return found


@cache
def catalogue(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=language)


def translations(language: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [language])


def forms(message: Message) -> tuple[str, ...]:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return tuple(str(s) for s in strings)


def test_the_six_un_languages_are_offered_each_named_in_itself() -> None:
    assert set(SUPPORTED_LOCALES) == {"ar", "zh", "en", "fr", "ru", "es"}
    assert LANGUAGES["ar"] == "العربية" and LANGUAGES["fr"] == "Français"


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_message_is_translated_without_fuzzy_entries(language: str) -> None:
    po = catalogue(language)
    missing, fuzzy = [], []
    for msgid, plural in source_messages().items():
        message = po.get(msgid)
        if message is None or not all(forms(message)):
            missing.append(msgid)
        elif message.fuzzy:
            fuzzy.append(msgid)
        elif plural is not None:
            assert len(forms(message)) == po.num_plurals, msgid
    assert not missing, f"{language}: {len(missing)} untranslated, e.g. {missing[:5]}"
    assert not fuzzy, f"{language}: fuzzy entries {fuzzy[:5]}"


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_translations_keep_the_placeholders_and_tags_of_the_english(language: str) -> None:
    wrong = []
    for message in catalogue(language):
        if not message.id:
            continue
        ids = tuple(message.id) if isinstance(message.id, tuple) else (str(message.id),)
        english = {p for i in ids for p in PLACEHOLDER.findall(i)}
        tags = sorted(t.split()[0] for t in TAG.findall(ids[0]))
        for text in forms(message):
            used = set(PLACEHOLDER.findall(text))
            # A plural form may say the number in words (Arabic's one and two); a
            # singular message must keep every placeholder; none may add one.
            if not used <= english or (len(ids) == 1 and used != english):
                wrong.append((ids[0], text))
            if sorted(t.split()[0] for t in TAG.findall(text)) != tags:
                wrong.append((ids[0], text))
    assert not wrong, f"{language}: {wrong[:5]}"


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_compiled_catalogues_are_what_the_app_serves(language: str) -> None:
    """`make setup` compiles each catalogue; the compiled one holds the same messages."""
    compiled = translations(language)
    assert isinstance(compiled, Translations), f"{language}: no compiled catalogue (make setup)"
    for message in list(catalogue(language))[1:40]:
        if isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string


def test_packet_labels_exist_in_every_un_language() -> None:
    assert set(label_languages()) >= set(SUPPORTED_LOCALES)
    with catalogue_path("en").open("rb") as fh:
        english = {(m.context, m.id) for m in read_po(fh) if m.id}
    for language in ("ru", "zh"):
        assert english <= set(packet_messages(language)), language


# Choosing the language ---------------------------------------------------------------------


def html_lang(page: object) -> tuple[str, str]:
    html = page.html  # type: ignore[attr-defined]
    return html["lang"], html["dir"]


def test_the_login_page_has_the_switcher_with_each_language_in_itself(client: Client) -> None:
    page = check_page(client.get("/login"))
    switcher = page.select_one("details.language-menu form")
    assert switcher is not None and switcher["action"] == "/language"
    buttons = {b["value"]: (b.get_text(strip=True), b["lang"]) for b in switcher.select("button")}
    assert buttons["ar"] == ("العربية", "ar")
    assert buttons["zh"] == ("中文（简体）", "zh-Hans")  # noqa: RUF001 (Chinese punctuation)
    assert buttons["fr"] == ("Français", "fr")
    assert len(buttons) == 6


def test_a_visitor_switches_to_arabic_and_the_login_page_is_arabic_and_mirrored(
    client: Client,
) -> None:
    client.get("/login")
    response = client.submit("/language", {"language": "ar", "next": "/login"}, form_url="/login")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    cookie = client.get_cookie(LANGUAGE_COOKIE)
    assert cookie is not None and cookie.value == "ar" and cookie.http_only
    page = check_page(client.get("/login"))
    assert html_lang(page) == ("ar", "rtl")
    log_in = translations("ar").gettext("Log in")
    heading = page.find("h1")
    assert heading is not None and log_in != "Log in"
    assert heading.get_text(strip=True) == log_in


def test_the_choice_is_saved_on_the_account_and_beats_the_browsers_language(
    client: Client, login_as: LoginAs, db: Session
) -> None:
    user = login_as(Role.officer)
    assert user.locale == ""  # no choice yet: the browser's language decides
    page = check_page(client.get("/", headers={"Accept-Language": "es"}))
    assert html_lang(page) == ("es", "ltr")
    client.submit("/language", {"language": "fr", "next": "/"}, form_url="/")
    db.expire_all()
    assert db.get_one(User, user.id).locale == "fr"
    page = check_page(client.get("/", headers={"Accept-Language": "es"}))
    assert html_lang(page) == ("fr", "ltr")
    # Another browser, without the cookie, after logging in: still French.
    other = client.application.test_client()
    assert isinstance(other, Client)
    other.login(user.email)
    page = check_page(other.get("/", headers={"Accept-Language": "ru"}))
    assert html_lang(page) == ("fr", "ltr")


def test_an_unknown_language_or_a_foreign_next_changes_nothing(
    client: Client, login_as: LoginAs, db: Session
) -> None:
    user = login_as(Role.officer)
    response = client.submit("/language", {"language": "xx", "next": "/"}, form_url="/")
    assert response.status_code == 302
    assert client.get_cookie(LANGUAGE_COOKIE) is None
    db.expire_all()
    assert db.get_one(User, user.id).locale == ""
    response = client.submit(
        "/language", {"language": "ru", "next": "//evil.example/"}, form_url="/"
    )
    assert response.headers["Location"] == "/"


def test_the_persons_step_names_the_states_in_the_pages_language_with_the_saved_one_chosen(
    client: Client, login_as: LoginAs, make_request: MakeRequest
) -> None:
    officer = login_as(Role.officer)
    content = dict(make_request(officer).content)
    person = {"role": "suspect", "name": "Li Wei", "date_of_birth": None, "nationality": "DE"}
    content["persons"] = [person, {**person, "name": "Omar", "nationality": None}]
    draft = make_request(officer, content=content)
    client.submit("/language", {"language": "fr", "next": "/"}, form_url="/")
    page = check_page(client.get(f"/requests/{draft.id}/wizard/persons"))
    (first,) = page.select("select#persons-0-nationality[name=persons-0-nationality]")
    (second,) = page.select("select#persons-1-nationality")
    not_known = translations("fr").gettext("Not known")
    assert not_known != "Not known"
    assert [o.get_text() for o in first.select("option")] == [
        not_known,
        *(name for _code, name in state_choices("fr")),
    ]
    assert [o.get_text() for o in first.select("option[selected]")] == ["Allemagne"]
    assert [o["value"] for o in second.select("option[selected]")] == [""]


def test_pages_in_french_keep_its_typography_and_sort_states_by_french_names(
    client: Client, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    client.submit("/language", {"language": "fr", "next": "/"}, form_url="/")
    page = check_page(client.get("/requests/new"))
    french_order = [name for _code, name in state_choices("fr")]
    for group in page.select("#requested_state optgroup"):
        names = [o.get_text() for o in group.select("option")]
        assert names == [name for name in french_order if name in names]
    tabled, others = (
        [o.get_text() for o in g.select("option")] for g in page.select("#requested_state optgroup")
    )
    # "Émirats arabes unis" sorts among the E, not after "Zimbabwe".
    assert tabled.index("Allemagne") < tabled.index("Émirats arabes unis") < tabled.index("Inde")
    assert tabled.index("Égypte") < tabled.index("Émirats arabes unis") < tabled.index("Espagne")
    assert others.index("Équateur") < others.index("Érythrée") < others.index("Estonie")
    assert others.index("Érythrée") < others.index("Zambie")


def test_rule_text_is_marked_english_in_other_languages(client: Client, login_as: LoginAs) -> None:
    login_as(Role.officer)
    client.submit("/language", {"language": "ar", "next": "/"}, form_url="/")
    page = check_page(client.get("/rules/QA"))
    marked = page.select('span[lang="en"] + small.in-english')
    assert marked, "no rule text marked as English"
    assert marked[0].get_text() == translations("ar").gettext("(in English)")


def test_chinese_states_sort_by_pinyin() -> None:
    names = [name for _code, name in state_choices("zh")]
    # 阿富汗 (Afuhan) before 德国 (Deguo) before 中国 (Zhongguo)
    assert names.index("阿富汗") < names.index("德国") < names.index("中国")


def test_user_text_is_isolated_so_an_override_cannot_reorder_the_page(
    client: Client, login_as: LoginAs, make_request: MakeRequest
) -> None:
    """A title holding a right-to-left override, and an Arabic title in an English
    page, stay inside their own <bdi>: the cells and words around them keep their order."""
    officer = login_as(Role.officer)
    tricky = make_request(officer, "Invoice \u202etxt.exe fraud")
    arabic = make_request(officer, "احتيال عبر البريد الإلكتروني")
    page = check_page(client.get("/"))
    titles = {
        cell.get_text(): cell.parent.name if cell.parent else "" for cell in page.select("td > bdi")
    }
    assert titles["Invoice \u202etxt.exe fraud"] == "td"
    assert titles["احتيال عبر البريد الإلكتروني"] == "td"
    heading = check_page(client.get(f"/requests/{tricky.id}")).find("h1")
    assert heading is not None
    assert [b.get_text() for b in heading.find_all("bdi")] == [
        tricky.reference,
        "Invoice \u202etxt.exe fraud",
    ]
    assert arabic.reference in {b.get_text() for b in page.select("td a bdi")}


def test_messages_in_arabic_isolate_the_names_put_into_them(
    client: Client, login_as: LoginAs, make_request: MakeRequest
) -> None:
    """An English treaty name inside an Arabic finding is wrapped in Unicode isolates, so
    its closing parenthesis stays at its end; English pages get the plain text."""
    officer = login_as(Role.officer)
    draft = make_request(officer)
    client.submit("/language", {"language": "ar", "next": "/"}, form_url="/")
    page = check_page(client.get(f"/requests/{draft.id}"))
    findings = " ".join(p.get_text() for p in page.select(".finding p"))
    assert "\u2068" in findings and "\u2069" in findings
    client.submit("/language", {"language": "en", "next": "/"}, form_url="/")
    page = check_page(client.get(f"/requests/{draft.id}"))
    assert "\u2068" not in " ".join(p.get_text() for p in page.select(".finding p"))

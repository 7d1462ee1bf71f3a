"""No input makes the server answer 500: random and malformed data thrown at every form.

Property-based (hypothesis). Each form is posted either as random fields (names from its
page, rows at random indexes such as ``identifiers-999-value``, names nobody expects) or
as the page filled it in with a few fields changed, dropped, sent twice or added, so that
the random values also reach the code behind a valid form (saving, the rule check, the
packet). Values are random text with control characters, huge strings, numbers and dates
at the ends of the calendar. Where a refusal can be checked, nothing was saved.

The property-based tests run on SQLite only (they check the views, not the database);
the plain examples at the end, of inputs that once failed, run on every backend.
``pytest --hypothesis-show-statistics`` shows the answers each test saw;
``FUZZ_SCALE=20 pytest tests/test_fuzz.py`` tries twenty times as many inputs.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import io
import json
import os
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlmodel import col, func, select
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from forms.wizard import STEP_FORMS
from mlat.models import MlaRequest, RequestAnnex, RequestStatus, Role, Unit, User
from mlat.workflow import BY_ACTION
from tests.conftest import PASSWORD, Client
from tests.wizard_helpers import HEADERS_TXT, PDF, PNG, example, example_content

Pairs = list[tuple[str, Any]]
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def fuzz(examples: int) -> Callable[[Any], Any]:
    """A property-based test with this many examples, on SQLite."""
    chosen = settings(
        max_examples=examples * int(os.environ.get("FUZZ_SCALE", "1")),
        deadline=None,
        database=None,  # no .hypothesis/ folder in the checkout
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
    return lambda test: SQLITE_ONLY(chosen(test))


# ------------------------------------------------------------------ values

EDGES = [
    "", " ", "\x00", "\r\n", "\t", "0", "-1", "1e309", "-0", "NaN", "inf",
    "99999999999999999999999999", str(2**63), str(-(2**63) - 1), "\u00b2", "\u0663", "0x1F",
    "\u00b2" * 6, "\u0663" * 6,
    "0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "0000-00-00", "2026-01-01T25:61",
    "9999-12-31T23:59:59", "0001-01-01T00:00", "+14:00", "-99:99", "UTC", "Etc/GMT+12",
    "../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --", "%s%n", "{{7*7}}",
    "\u202eevil", "\ufeff", "\U0001d54f\U0001d550", "null", "[]", "{}", "true",
    "add:offences", "remove:identifiers:999999", "remove:persons:-1", "//evil.example",
    "/\\evil.example",
]  # fmt: skip
NUMBERS = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True)).map(str)


def texts(longest: int) -> st.SearchStrategy[str]:
    """Any text, mostly without NUL: the app refuses NUL at the door (400), so a value
    holding one would keep the rest of the form from reaching the code behind it."""
    any_but_nul = st.characters(codec="utf-8", exclude_characters="\x00")
    huge = st.integers(min_value=1_000, max_value=longest).map(lambda n: "Ж" * n)
    return st.one_of(
        st.text(any_but_nul), st.text(any_but_nul, max_size=5), st.sampled_from(EDGES),
        NUMBERS, huge, st.text(max_size=3),
    )  # fmt: skip


TEXT = texts(120_000)
# Multipart bodies stay under 500 KB: above that the test client spools the body to a
# temporary file that it never closes (a ResourceWarning, an error under this suite).
UPLOAD_TEXT = texts(5_000)
DATES = st.one_of(
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat(timespec="minutes")),
    st.sampled_from(["0001-01-01", "9999-12-31", "9999-12-31T23:59", "0001-01-01T00:00"]),
)
DATE_NAME = re.compile(r"date|_on$|^on$|_at$|deadline|_from$|_to$")
INT_NAME = re.compile(r"version|_id$|^id$|position|seq|owner|years|origin|identifiers$")


def value_for(data: st.DataObject, name: str, text: st.SearchStrategy[str] = TEXT) -> str:
    """Random text, made likelier to reach the code behind dates and numbers. All three
    kinds are drawn whatever the name, so that what is drawn does not depend on the page
    (hypothesis replays draws, and refuses ones that depend on outside state)."""
    date, number, other, pick = data.draw(
        st.tuples(DATES, st.integers().map(str), text, st.integers(0, 2))
    )
    if pick and DATE_NAME.search(name):
        return date
    if pick and INT_NAME.search(name):
        return number
    return other


# ------------------------------------------------------------------ forms


class _Forms(HTMLParser):
    """The forms of a page and what a browser would send for each, unchanged."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, str, Pairs]] = []  # (action, method, fields)
        self._select: tuple[str, bool, list[tuple[str, bool]]] | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def _add(self, name: str, value: str) -> None:
        if self.forms:
            self.forms[-1][2].append((name, value))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        kind = a.get("type", "text").lower()
        if tag == "form":
            self.forms.append((a.get("action", ""), a.get("method", "get").lower(), []))
        elif tag == "input" and a.get("name") and kind not in ("submit", "button", "file"):
            if kind not in ("checkbox", "radio") or "checked" in a:
                self._add(a["name"], a.get("value", "on"))
        elif tag == "select" and a.get("name"):
            self._select = (a["name"], "multiple" in a, [])
        elif tag == "option" and self._select is not None:
            self._select[2].append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and a.get("name"):
            self._textarea = (a["name"], [])

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            name, multiple, options = self._select
            chosen = [v for v, selected in options if selected]
            for value in chosen if multiple else (chosen or [v for v, _ in options])[:1]:
                self._add(name, value)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._textarea[1])
            self._add(self._textarea[0], text[2:] if text.startswith("\r\n") else text)
            self._textarea = None


def page_form(client: Client, page: str, action: str | None = None) -> Pairs:
    """The fields of the page's form that posts to ``action`` (the page itself when not
    given), as the page filled them in, without the CSRF token."""
    parser = _Forms()
    parser.feed(client.get(page).text)
    target = action or page
    for form_action, _method, fields in parser.forms:
        if (urlsplit(form_action).path or page) == target:
            return [(k, v) for k, v in fields if k != "csrf_token"]
    return []


_ROW = re.compile(r"^([a-z_]+)-(\d+)-(.+)$")


ANY_INDEX = st.integers(0, 2**16)  # an index into a list of the page's, modulo its length
ROW_INDEX = st.one_of(st.integers(0, 3), st.just(999), st.integers(0, 10**30))


def random_fields(
    data: st.DataObject, names: list[str], text: st.SearchStrategy[str] = TEXT
) -> Pairs:
    """Some of the form's fields (so others missing, some twice) with random values, rows
    at random indexes, row buttons, and names nobody expects."""
    rows = sorted({(m[1], m[3]) for m in map(_ROW.match, names) if m})
    lists = sorted({name for name, _ in rows}) or ["offences"]
    pairs: Pairs = []
    for _ in range(data.draw(st.integers(0, 25))):
        kind, pick, index, unexpected, button = data.draw(
            st.tuples(st.integers(0, 7), ANY_INDEX, ROW_INDEX, st.text(max_size=20),
                      st.integers(0, 3))
        )  # fmt: skip
        if kind == 0:  # a row button
            rows_of = lists[pick % len(lists)]
            buttons = [f"add:{rows_of}", f"remove:{rows_of}:0", f"remove:{rows_of}:999"]
            value = buttons[button] if button < 3 else value_for(data, "rows", text)
            pairs.append(("rows", value))
            continue
        if kind == 1 and rows:
            row, field = rows[pick % len(rows)]
            name = f"{row}-{index}-{field}"
        elif kind > 2 and names:
            name = names[pick % len(names)]
        else:
            name = unexpected
        pairs.append((name, value_for(data, name, text)))
    return pairs


CHANGES = st.sampled_from(["change", "change", "drop", "twice", "add"])


def fields_for(data: st.DataObject, form: Pairs, text: st.SearchStrategy[str] = TEXT) -> Pairs:
    """Either random fields, or the form as filled in with up to four changes: a value
    replaced, a field dropped, a field sent twice, or random fields added."""
    names = sorted({name for name, _ in form})
    if data.draw(st.booleans()):
        return random_fields(data, names, text)
    pairs = list(form)
    for _ in range(data.draw(st.integers(0, 4))):
        how, pick = data.draw(st.tuples(CHANGES, ANY_INDEX))
        if how == "add":
            pairs += random_fields(data, names, text)[:3]
            continue
        name = pairs[pick % len(pairs)][0] if pairs else "version"
        value = value_for(data, name, text)
        if not pairs:
            continue
        if how == "change":
            pairs[pick % len(pairs)] = (name, value)
        elif how == "drop":
            del pairs[pick % len(pairs)]
        else:
            pairs.append((name, value))
    return pairs


CSRF = st.sampled_from(["page"] * 6 + ["missing", "forged"])


def post(client: Client, url: str, pairs: Pairs, csrf: str, token: str) -> TestResponse:
    form: MultiDict[str, Any] = MultiDict(pairs)
    if csrf == "page":
        form.setlist("csrf_token", [token])
    elif csrf == "forged":
        form.setlist("csrf_token", ["forged-" + token[::-1]])
    response = client.post(url, data=form)
    response.close()
    return response


def token_of(client: Client, url: str = "/") -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(url).text)
    assert match
    return match.group(1)


def with_defaults(form: Pairs, defaults: Pairs) -> Pairs:
    """The page's form with these values in the fields it left empty (or lacks)."""
    given = dict(defaults)
    filled = [(k, v or given.get(k, v)) for k, v in form]
    return filled + [(k, v) for k, v in defaults if k not in dict(form)]


def no_error(response: TestResponse, what: str = "") -> None:
    """No 500; the answers seen are counted (pytest --hypothesis-show-statistics)."""
    event(f"{what} {response.status_code}".strip())
    assert response.status_code < 500, response.get_data(as_text=True)[-2000:]


def saved(response: TestResponse) -> bool:
    """A form that saved something redirects (post-redirect-get)."""
    return response.status_code in (301, 302, 303)


def current(db: Any, request: MlaRequest) -> MlaRequest:
    db.expire_all()
    found = db.get(MlaRequest, request.id)
    assert found is not None
    return found


def count(db: Any, model: Any) -> int:
    db.expire_all()
    return int(db.exec(select(func.count()).select_from(model)).one())


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def officer(client: Client, login_as: Callable[..., User]) -> User:
    return login_as(Role.officer)


@pytest.fixture
def draft(make_request: Callable[..., MlaRequest], officer: User) -> MlaRequest:
    return make_request(officer, content=example_content())


@pytest.fixture
def someone(make_user: Callable[..., User]) -> User:
    """A user who has not logged in."""
    return make_user(Role.officer)


# ------------------------------------------------------------------ log-in


@fuzz(40)
@given(data=st.data())
def test_login_form(client: Client, someone: User, data: st.DataObject) -> None:
    form = [("email", someone.email), ("password", PASSWORD)]
    pairs = fields_for(data, form)
    query = data.draw(st.lists(st.tuples(st.sampled_from(["next", "x"]), TEXT), max_size=2))
    token = token_of(client, "/login")
    response = client.post(
        "/login", query_string=query, data=MultiDict([*pairs, ("csrf_token", token)])
    )
    no_error(response)
    assert response.status_code in (200, 302, 400, 429)


def lands_on_this_site(location: str) -> bool:
    """Whether a browser following the redirect stays on this site: browsers drop tabs
    and line breaks from a URL, read a backslash as a slash and trim leading spaces."""
    seen = re.sub(r"[\t\n\r]", "", location).replace("\\", "/").lstrip("\x00 ")
    parts = urlsplit(seen)
    return not parts.scheme and not parts.netloc and not seen.startswith("//")


OFF_SITE = [
    "/\\evil.example", "/\t/evil.example", "/%5Cevil.example", "/ /evil.example",
    "https://evil.example", "/requests/1", "/\n",
]  # fmt: skip
URLISH = st.text(alphabet="/\\\t\n\r .:@%?#ae", max_size=12)


@fuzz(40)
@given(target=st.one_of(TEXT, URLISH, st.sampled_from(OFF_SITE)))
def test_login_never_redirects_off_the_site(client: Client, someone: User, target: str) -> None:
    token = token_of(client, "/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"csrf_token": token, "email": someone.email, "password": PASSWORD},
    )
    if "\x00" in target:
        assert response.status_code == 400  # refused at the door
    else:
        assert response.status_code == 302
        assert lands_on_this_site(response.headers["Location"]), response.headers["Location"]


@pytest.fixture
def code_pages(app: Flask, client: Client, make_user: Callable[..., User]) -> dict[str, Any]:
    """A client at each two-factor form: after the password of an enrolled reviewer,
    after the password of a prosecutor without an authenticator, and an officer's own
    set-up page."""
    enrolled = make_user(Role.reviewer)
    assert client.login(enrolled.email).status_code == 302  # sets up the authenticator
    pages: dict[str, tuple[Client, User]] = {}
    for url, user in (
        ("/login/code", enrolled),
        ("/login/enrol", make_user(Role.prosecutor)),
        ("/account/two-factor", make_user(Role.officer)),
    ):
        other: Client = app.test_client()  # type: ignore[assignment]
        step = other.submit("/login", {"email": user.email, "password": PASSWORD})
        assert step.status_code == 302
        pages[url] = (other, user)
    return pages


def totp_secret(db: Any, user: User) -> str | None:
    db.expire_all()
    found = db.get(User, user.id)
    return found.totp_secret if found else None


@fuzz(40)
@given(data=st.data())
def test_two_factor_forms(db: Any, code_pages: dict[str, Any], data: st.DataObject) -> None:
    url = data.draw(st.sampled_from(sorted(code_pages)))
    other, user = code_pages[url]
    before = totp_secret(db, user)
    pairs = fields_for(data, [("code", "123456")])
    response = post(other, url, pairs, data.draw(CSRF), token_of(other, url))
    no_error(response, url)
    if not saved(response):
        assert totp_secret(db, user) == before


# ------------------------------------------------------------------ the wizard


@fuzz(60)
@given(data=st.data())
def test_wizard_steps(client: Client, db: Any, draft: MlaRequest, data: st.DataObject) -> None:
    step = data.draw(st.sampled_from([*STEP_FORMS, "check"]))
    url = f"/requests/{draft.id}/wizard/{step}"
    pairs = fields_for(data, page_form(client, url))
    before = current(db, draft)
    response = post(client, url, pairs, data.draw(CSRF), token_of(client, url))
    no_error(response, step)
    after = current(db, draft)
    if saved(response):  # the saved request shows on every page
        for page in ("", "/wizard", "/wizard/check", "/export.json", "/packet.pdf"):
            no_error(client.get(f"/requests/{draft.id}{page}"), "then GET")
    else:
        assert (after.version, after.content) == (before.version, before.content)


@fuzz(40)
@given(data=st.data())
def test_live_check_never_saves(
    client: Client, db: Any, draft: MlaRequest, data: st.DataObject
) -> None:
    step = data.draw(st.sampled_from([*STEP_FORMS, "?"]))
    if step == "?":
        step = data.draw(st.text(min_size=1))
    page = f"/requests/{draft.id}/wizard/{step if step in STEP_FORMS else 'route'}"
    pairs = fields_for(data, page_form(client, page))
    before = current(db, draft)
    url = f"/requests/{draft.id}/wizard/{quote(step, safe='')}/check"
    response = post(client, url, pairs, data.draw(CSRF), token_of(client, page))
    no_error(response, step if step in STEP_FORMS else "?")
    after = current(db, draft)
    assert (after.version, after.content) == (before.version, before.content)


FILES = st.one_of(
    st.binary(max_size=2_000),
    st.binary(max_size=200).map(lambda b: PDF + b),
    st.binary(max_size=200).map(lambda b: PNG + b),
    st.binary(max_size=200).map(lambda b: b"\xff\xd8\xff" + b),
    st.text(max_size=500).map(str.encode),
    st.just(b""),
)
FILENAMES = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters='\r\n"'), max_size=40),
    st.sampled_from(["a.pdf", "a.PNG", "a.txt", "x.exe", "../../etc/passwd", "C:\\x\\y.pdf",
                     ".pdf", "a.pdf.txt", "", "…" * 300 + ".txt"]),
)  # fmt: skip

GOOD_FILES = st.sampled_from(
    [(PDF, "order.pdf"), (PNG, "screenshot.png"), (HEADERS_TXT, "headers.txt")]
)


@fuzz(50)
@given(data=st.data())
def test_annex_upload(client: Client, db: Any, draft: MlaRequest, data: st.DataObject) -> None:
    url = f"/requests/{draft.id}/wizard/annexes"
    form = [(k, v) for k, v in page_form(client, url) if k != "title"] + [("title", "Logs")]
    pairs: Pairs = fields_for(data, form, UPLOAD_TEXT)
    for _ in range(data.draw(st.sampled_from([1, 1, 1, 0, 2]))):
        file = data.draw(st.one_of(GOOD_FILES, st.tuples(FILES, FILENAMES)))
        pairs.append(("file", (io.BytesIO(file[0]), file[1])))
    if data.draw(st.integers(0, 9)) == 0:
        pairs.append(("file", data.draw(UPLOAD_TEXT)))  # a text field where a file belongs
    before, annexes = current(db, draft), count(db, RequestAnnex)
    response = post(client, url, pairs, data.draw(CSRF), token_of(client, url))
    no_error(response)
    after = current(db, draft)
    if saved(response):
        assert count(db, RequestAnnex) == annexes + 1
        annex = db.exec(select(RequestAnnex).order_by(col(RequestAnnex.id).desc())).first()
        download = client.get(f"/requests/{draft.id}/annexes/{annex.id}")
        download.close()
        assert download.status_code == 200
        assert download.headers["Content-Disposition"].startswith("attachment")
    else:
        assert count(db, RequestAnnex) == annexes
        assert after.version == before.version


@fuzz(30)
@given(data=st.data())
def test_annex_removal(client: Client, db: Any, draft: MlaRequest, data: st.DataObject) -> None:
    url = f"/requests/{draft.id}/wizard/annexes/remove"
    form = [("version", str(current(db, draft).version)), ("position", "0"), ("annex_id", "")]
    pairs = fields_for(data, form)
    response = post(client, url, pairs, data.draw(CSRF), token_of(client))
    no_error(response)


def _json(text: st.SearchStrategy[str] = TEXT) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), text, st.sampled_from(EDGES)
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
        ),
        max_leaves=20,
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


EXAMPLE_PATHS = [p for p in _paths(example()) if p]


def _like(value: Any) -> st.SearchStrategy[Any]:
    """A random value of the same JSON type (a date for a date), or any JSON at all."""
    if isinstance(value, bool):
        same: st.SearchStrategy[Any] = st.booleans()
    elif isinstance(value, int | float):
        same = st.one_of(st.integers(), st.floats(allow_nan=False))
    elif isinstance(value, str):
        same = DATES if re.match(r"\d{4}-\d\d-\d\d", value) else UPLOAD_TEXT
    else:
        same = _json(UPLOAD_TEXT)
    return st.one_of(same, same, same, _json(UPLOAD_TEXT))


def _mutated(data: st.DataObject) -> bytes:
    """The example request with some of its parts replaced."""
    document = copy.deepcopy(example())
    for path in data.draw(st.lists(st.sampled_from(EXAMPLE_PATHS), max_size=4)):
        target = document
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = data.draw(_like(target[path[-1]]))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier replacement took this part away
    return json.dumps(document, allow_nan=True).encode()


@fuzz(50)
@given(data=st.data())
def test_json_import(client: Client, db: Any, officer: User, data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["bytes", "json", "mutated", "mutated", "mutated"]))
    if kind == "bytes":
        body = data.draw(st.one_of(st.binary(max_size=500), st.just(b"[" * 5000)))
    elif kind == "json":
        body = json.dumps(data.draw(_json(UPLOAD_TEXT)), allow_nan=True).encode()
    else:
        body = _mutated(data)
    pairs = fields_for(data, [("title", "")], UPLOAD_TEXT)
    if data.draw(st.integers(0, 9)):
        pairs.append(("file", (io.BytesIO(body), data.draw(FILENAMES))))
    before = count(db, MlaRequest)
    response = post(client, "/requests/import", pairs, data.draw(CSRF), token_of(client))
    no_error(response, kind)
    if saved(response):
        assert count(db, MlaRequest) == before + 1
        newest = db.exec(select(MlaRequest).order_by(col(MlaRequest.id).desc())).first()
        assert (newest.unit_id, newest.status) == (officer.unit_id, RequestStatus.draft)
        for page in ("", "/wizard", "/wizard/check", "/wizard/persons", "/wizard/safeguards"):
            no_error(client.get(f"/requests/{newest.id}{page}"), "then GET")
    else:
        assert count(db, MlaRequest) == before


@fuzz(40)
@given(data=st.data())
def test_new_and_edit_request(
    client: Client, db: Any, draft: MlaRequest, data: st.DataObject
) -> None:
    url = data.draw(st.sampled_from(["/requests/new", f"/requests/{draft.id}/edit"]))
    form = with_defaults(page_form(client, url), [("title", "Fraud"), ("requested_state", "US")])
    pairs = fields_for(data, form)
    before, requests = current(db, draft), count(db, MlaRequest)
    response = post(client, url, pairs, data.draw(CSRF), token_of(client, url))
    no_error(response, url)
    if not saved(response):
        after = current(db, draft)
        assert (after.version, after.title) == (before.version, before.title)
        assert count(db, MlaRequest) == requests


# ------------------------------------------------------------------ workflow


@pytest.fixture
def staff(client: Client, make_user: Callable[..., User]) -> User:
    """One user who may take every action (not the drafter, so approval is possible)."""
    user = make_user(Role.officer, Role.reviewer, Role.prosecutor)
    assert client.login(user.email).status_code == 302
    return user


@pytest.fixture
def colleagues_request(
    make_user: Callable[..., User], make_request: Callable[..., MlaRequest]
) -> MlaRequest:
    return make_request(make_user(Role.officer), content=example_content())


@fuzz(40)
@given(data=st.data())
def test_transitions_and_review(
    client: Client, db: Any, staff: User, colleagues_request: MlaRequest, data: st.DataObject
) -> None:
    """Every action (and made-up ones) on a request put in a random state first."""
    request = current(db, colleagues_request)
    request.status = data.draw(st.sampled_from(list(RequestStatus)))
    db.add(request)
    db.commit()
    before = current(db, request)
    action = data.draw(st.sampled_from([*BY_ACTION, "?"]))
    if action == "?":
        action = data.draw(st.text(min_size=1))
    url = f"/requests/{request.id}/do/{quote(action, safe='')}"
    form = [
        ("version", str(before.version)),
        ("seen_digest", before.content_digest),
        ("comment", "Checked with the central authority."),
        ("note-facts", "Say when the account was opened."),
        ("on", dt.date.today().isoformat()),
        ("channel", "central_authority"),
        ("foreign_reference", "DOJ-OIA-2026-114"),
    ]
    response = post(client, url, fields_for(data, form), data.draw(CSRF), token_of(client))
    no_error(response, f"{before.status}:{action if action in BY_ACTION else '?'}")
    after = current(db, request)
    if response.status_code >= 400:
        assert (after.version, after.status) == (before.version, before.status)
    for page in ("", "/review", "/packet.pdf"):
        shown = client.get(f"/requests/{request.id}{page}")
        shown.close()
        no_error(shown, "then GET")


@fuzz(20)
@given(ids=st.lists(st.one_of(TEXT, st.integers().map(str)), max_size=5), csrf=CSRF)
def test_notifications_read(client: Client, officer: User, ids: list[str], csrf: str) -> None:
    response = post(client, "/notifications/read", [("id", i) for i in ids], csrf,
                    token_of(client))  # fmt: skip
    no_error(response)


# ------------------------------------------------------------------ administration


@pytest.fixture
def admin(client: Client, make_user: Callable[..., User]) -> User:
    user = make_user(Role.admin, Role.officer)
    assert client.login(user.email).status_code == 302
    return user


@pytest.fixture
def target(make_user: Callable[..., User], make_unit: Callable[..., Unit]) -> User:
    """A user of another unit for the administrator to edit."""
    return make_user(Role.officer, unit_=make_unit(state="GB"))


def _snapshot(db: Any, user: User) -> tuple[Any, ...]:
    db.expire_all()
    found = db.get(User, user.id)
    return (found.name, found.unit_id, sorted(found.roles), found.active, found.totp_secret)


NEW_USER = [("email", "new.officer@example.org"), ("name", "New Officer"),
            ("password", "Granite-otter-1987-lighthouse"), ("roles", "officer")]  # fmt: skip
NEW_UNIT = [("name", "Cybercrime Unit, Paris"), ("code", "PAR"), ("state", "FR"),
            ("timezone", "Europe/Paris")]  # fmt: skip


@fuzz(50)
@given(data=st.data())
def test_admin_forms(
    client: Client, db: Any, admin: User, target: User, data: st.DataObject
) -> None:
    url = data.draw(
        st.sampled_from(["/admin/users/new", "/admin/units/new", f"/admin/users/{target.id}"])
    )
    defaults = {"/admin/users/new": NEW_USER, "/admin/units/new": NEW_UNIT}.get(url, [])
    form = with_defaults(page_form(client, url), defaults)
    before = (count(db, User), count(db, Unit), _snapshot(db, target))
    response = post(client, url, fields_for(data, form), data.draw(CSRF), token_of(client, url))
    no_error(response, url.replace(str(target.id), "<id>"))
    if not saved(response):
        assert (count(db, User), count(db, Unit), _snapshot(db, target)) == before
    no_error(client.get("/admin/users"), "then GET")


@fuzz(10)
@given(user_id=st.integers(), csrf=CSRF)
def test_admin_two_factor_reset(client: Client, admin: User, user_id: int, csrf: str) -> None:
    url = f"/admin/users/{user_id}/reset-two-factor"
    no_error(post(client, url, [], csrf, token_of(client)))


# ------------------------------------------------------------------ GET forms


CURSORS = st.one_of(
    TEXT,
    st.tuples(
        st.sampled_from(["updated", "created", "reference", "state", "id", ""]),
        _json(),
        st.one_of(DATES, TEXT),
        st.one_of(st.integers(), st.integers(min_value=2**63), _json()),
        _json(),
    ).map(list),
    st.lists(_json(), max_size=6),
    st.just("[" * 3000),
).map(
    lambda v: (
        v
        if isinstance(v, str) and not v.startswith("[")
        else base64.urlsafe_b64encode(
            (v if isinstance(v, str) else json.dumps(v, allow_nan=True)).encode()
        )
        .decode()
        .rstrip("=")
    )
)
SEARCHES = {
    "/": "/",
    "/admin/audit": "/admin/audit",
    "/admin/audit.csv": "/admin/audit",
    "/search": "/search",
    "/rules/routes": "/rules/routes",
}


@fuzz(60)
@given(data=st.data())
def test_filters_search_and_route_advisor(client: Client, admin: User, data: st.DataObject) -> None:
    """The request list's filters and page cursor, the audit log's filters and export,
    search and the route advisor, all as GET parameters."""
    url = data.draw(st.sampled_from(sorted(SEARCHES)))
    form = page_form(client, SEARCHES[url], SEARCHES[url])
    pairs = fields_for(data, [*form, ("before_seq", "1")] if "audit" in url else form)
    if data.draw(st.booleans()):
        pairs.append(("cursor", data.draw(CURSORS)))
    response = client.get(url, query_string=MultiDict(pairs))
    response.close()
    no_error(response, url)
    assert response.status_code in (200, 400)


# ------------------------------------------------------------------ found before


def _nameless_part(token: str) -> bytes:
    return (
        b"--B\r\nContent-Disposition: form-data\r\n\r\nno name\r\n"
        b'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + token.encode()
        + b"\r\n--B--\r\n"
    )


def test_inputs_that_once_answered_500(client: Client, admin: User) -> None:
    """Each of these once made the server fail; they are kept as plain examples."""
    token = token_of(client)
    huge = str(2**63)
    deep = base64.urlsafe_b64encode(b"[" * 3000).decode()
    cursor = ["updated", True, "2026-01-01T00:00:00+00:00", 2**64, False]
    big_id = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()
    gets = {
        f"/requests/{huge}": 404,
        f"/admin/users/{huge}": 404,
        f"/admin/audit?before_seq={huge}": 400,
        f"/?cursor={deep}": 200,
        f"/?cursor={big_id}": 200,
        "/?date_from=0001-01-01&date_to=9999-12-31": 200,
        "/admin/audit?date_from=0001-01-01&date_to=9999-12-31": 200,
        "/admin/audit.csv?date_to=9999-12-31": 200,
    }
    for url, expected in gets.items():
        assert client.get(url).status_code == expected, url
    read = post(client, "/notifications/read", [("id", huge), ("id", "\u00b2")], "page", token)
    assert read.status_code == 303
    reset = post(client, f"/admin/users/{huge}/reset-two-factor", [], "page", token)
    assert reset.status_code == 404
    nameless = client.post(
        "/logout", data=_nameless_part(token), content_type="multipart/form-data; boundary=B"
    )
    assert nameless.status_code == 400


def test_wizard_inputs_that_once_answered_500(client: Client, db: Any, draft: MlaRequest) -> None:
    token = token_of(client)
    version = str(current(db, draft).version)
    wizard = f"/requests/{draft.id}/wizard"
    persons = [
        (k, "\u00b2" if k.endswith("-origin") else v)
        for k, v in page_form(client, f"{wizard}/persons")
    ]
    assert ("identifiers-0-origin", "\u00b2") in persons
    cases: list[tuple[str, Pairs]] = [
        (f"{wizard}/annexes/remove", [("version", version), ("position", "\u00b2")]),
        (f"{wizard}/persons", [("rows", "remove:persons:\u00b2")]),
        (f"{wizard}/persons", persons),
    ]
    for url, pairs in cases:
        assert post(client, url, pairs, "page", token).status_code < 500, (url, pairs)


def test_codes_of_other_digits_are_wrong_codes(db: Any, code_pages: dict[str, Any]) -> None:
    """Six superscript or Arabic-Indic digits once crashed the code check."""
    for url, (other, user) in code_pages.items():
        before = totp_secret(db, user)
        for code in ("\u00b2" * 6, "\u0663" * 6):
            response = post(other, url, [("code", code)], "page", token_of(other, url))
            assert response.status_code == 200, (url, code)
            assert "not right" in response.text
        assert totp_secret(db, user) == before


def test_the_next_page_after_login_is_on_this_site(client: Client, someone: User) -> None:
    for target in ("/\n", "/\\evil.example", "/\t/evil.example", "/%0d%0aSet-Cookie:x=1"):
        response = client.post(
            "/login",
            query_string={"next": target},
            data={"csrf_token": token_of(client, "/login"), "email": someone.email,
                  "password": PASSWORD},
        )  # fmt: skip
        assert response.status_code == 302
        assert lands_on_this_site(response.headers["Location"]), target


def test_nul_characters_are_refused_before_they_reach_the_database(
    client: Client, db: Any, someone: User, make_request: Callable[..., MlaRequest]
) -> None:
    """PostgreSQL cannot store U+0000 in text; it once made log-in, search and import fail."""
    login = {"email": "a\x00b@example.org", "password": "x\x00y"}
    assert client.submit("/login", login).status_code == 400
    assert client.login(someone.email).status_code == 302
    assert client.get("/search", query_string={"q": "ab\x00c"}).status_code == 400
    draft = make_request(someone, content=example_content())
    facts = [*page_form(client, f"/requests/{draft.id}/wizard/facts")]
    facts = [(k, "x\x00y" if k == "facts" else v) for k, v in facts]
    saved_facts = post(client, f"/requests/{draft.id}/wizard/facts", facts, "page",
                       token_of(client))  # fmt: skip
    assert saved_facts.status_code == 400
    document = example()
    document["persons"][0]["name"] = "\x00"
    before = count(db, MlaRequest)
    body = json.dumps(document).encode()
    imported = client.submit("/requests/import", {"file": (io.BytesIO(body), "a.json")})
    assert imported.status_code == 400
    assert "NUL character" in imported.text
    assert count(db, MlaRequest) == before

"""Shared by the fuzz tests: the fields of a page's form as a browser would send them,
that form with random changes, posting it, and checking what the server answered."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from hypothesis import event
from hypothesis import strategies as st
from sqlmodel import Session, func, select
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from mlat.models import MlaRequest
from tests.conftest import Client
from tests.fuzz.strategies import TEXT, value_for

Pairs = list[tuple[str, Any]]

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


def current(db: Session, request: MlaRequest) -> MlaRequest:
    db.expire_all()
    found: MlaRequest | None = db.get(MlaRequest, request.id)
    assert found is not None
    return found


def count(db: Session, model: Any) -> int:
    db.expire_all()
    return int(db.exec(select(func.count()).select_from(model)).one())

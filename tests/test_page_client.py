"""The page helper the view tests read pages with: it must fail on a page a person
could not use as intended, so that the tests built on it can fail too."""

from __future__ import annotations

import pytest
from flask import Flask, redirect, request
from werkzeug.wrappers import Response

from tests.conftest import (
    Client,
    PageClient,
    field_value,
    flashes,
    form_errors,
    rows,
    text_of,
    texts,
)

GOOD = """<!doctype html><html><head><title>Requests · mlat</title></head><body>
<main id="main"><div class="flash flash-success" role="status">Saved.</div>
<h1 id="heading">Requests</h1>
<div class="error-summary"><ul><li><a href="#title">Enter a title.</a></li></ul></div>
<form method="post"><input name="title" id="title" value="Fraud &amp; theft">
<select name="state"><option value="US">United States</option>
<option selected value="FR">France</option></select>
<textarea name="facts">
Two lines
of facts</textarea></form>
<table><thead><tr><th>Reference</th><th>Title</th></tr></thead>
<tbody><tr><td>DOH-1</td><td>  First
 case </td></tr><tr><td>DOH-2</td><td>Second<br>case</td></tr></tbody></table>
</main></body></html>"""


def _page(body: str, title: str = "A page") -> str:
    return f"<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>"


PAGES = {
    "good": GOOD,
    "duplicate-id": _page('<h1 id="x">One</h1><p id="x">Two</p>'),
    "no-h1": _page("<h2>Only a subheading</h2>"),
    "two-h1": _page("<h1>First</h1><h1>Second</h1>"),
    "empty-title": _page("<h1>Heading</h1>", title=" · mlat"),
    "no-title": "<!doctype html><html><body><h1>Heading</h1></body></html>",
}


@pytest.fixture
def pages() -> PageClient:
    app = Flask(__name__)
    app.config["TESTING"] = True

    @app.route("/<name>", methods=["GET", "POST"])
    def show(name: str) -> str | Response:
        if request.method == "POST":
            return redirect("/good")
        return PAGES[name]

    app.test_client_class = Client
    client: Client = app.test_client()  # type: ignore[assignment]
    return PageClient(client)


def test_a_good_page_is_returned_parsed(pages: PageClient) -> None:
    page = pages.get("/good")
    assert text_of(page.h1) == "Requests"
    assert flashes(page) == ["Saved."]
    assert form_errors(page) == ["Enter a title."]
    assert rows(page) == [["DOH-1", "First case"], ["DOH-2", "Second case"]]
    assert texts(page, "tbody td:nth-child(1)") == ["DOH-1", "DOH-2"]
    assert field_value(page, "title") == "Fraud & theft"
    assert field_value(page, "state") == "FR"
    assert field_value(page, "facts") == "Two lines\nof facts"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("duplicate-id", "ids used more than once: ['x']"),
        ("no-h1", "exactly one h1"),
        ("two-h1", "exactly one h1"),
        ("empty-title", "no title"),
        ("no-title", "no title"),
    ],
)
def test_a_page_without_its_parts_fails(pages: PageClient, name: str, message: str) -> None:
    with pytest.raises(AssertionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        pages.get(f"/{name}")


def test_an_unexpected_status_fails(pages: PageClient) -> None:
    with pytest.raises(AssertionError, match="expected 404, got 200"):
        pages.get("/good", status=404)
    with pytest.raises(AssertionError, match="expected 200, got 302"):
        pages.post("/good", {"title": "x"})


def test_a_post_follows_the_redirect_only_when_asked(pages: PageClient) -> None:
    assert pages.post_redirect("/good", {"title": "x"}, to="/good") == "/good"
    with pytest.raises(AssertionError):
        pages.post_redirect("/good", {"title": "x"}, to="/elsewhere")
    page = pages.post("/good", {"title": "x"}, follow_redirects=True)
    assert text_of(page.h1) == "Requests"


def test_an_element_that_is_not_there_fails(pages: PageClient) -> None:
    page = pages.get("/good")
    with pytest.raises(AssertionError, match="no such element"):
        text_of(page.select_one(".missing"))
    with pytest.raises(AssertionError, match="no field named"):
        field_value(page, "missing")

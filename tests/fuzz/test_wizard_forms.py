"""Fuzzing the wizard: every step's form, the live check, annex uploads and removals; a
refused form saves nothing, and a saved request still shows on every page."""

from __future__ import annotations

import io
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from forms.wizard import STEP_FORMS
from mlat.models import MlaRequest, RequestAnnex
from tests.conftest import Client
from tests.fuzz.form_fields import (
    CSRF,
    Pairs,
    count,
    current,
    fields_for,
    no_error,
    page_form,
    post,
    saved,
    token_of,
)
from tests.fuzz.strategies import FILENAMES, UPLOAD_TEXT, fuzz
from tests.wizard_helpers import HEADERS_TXT, PDF, PNG

# ------------------------------------------------------------------ the wizard


@fuzz(60)
@given(data=st.data())
def test_wizard_steps(client: Client, db: Session, draft: MlaRequest, data: st.DataObject) -> None:
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
    client: Client, db: Session, draft: MlaRequest, data: st.DataObject
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

GOOD_FILES = st.sampled_from(
    [(PDF, "order.pdf"), (PNG, "screenshot.png"), (HEADERS_TXT, "headers.txt")]
)


@fuzz(50)
@given(data=st.data())
def test_annex_upload(client: Client, db: Session, draft: MlaRequest, data: st.DataObject) -> None:
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
        assert annex is not None
        download = client.get(f"/requests/{draft.id}/annexes/{annex.id}")
        download.close()
        assert download.status_code == 200
        assert download.headers["Content-Disposition"].startswith("attachment")
    else:
        assert count(db, RequestAnnex) == annexes
        assert after.version == before.version


@fuzz(30)
@given(data=st.data())
def test_annex_removal(client: Client, db: Session, draft: MlaRequest, data: st.DataObject) -> None:
    url = f"/requests/{draft.id}/wizard/annexes/remove"
    form = [("version", str(current(db, draft).version)), ("position", "0"), ("annex_id", "")]
    pairs = fields_for(data, form)
    response = post(client, url, pairs, data.draw(CSRF), token_of(client))
    no_error(response)


# ------------------------------------------------------------------ found before


def test_wizard_inputs_that_once_answered_500(
    client: Client, db: Session, draft: MlaRequest
) -> None:
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

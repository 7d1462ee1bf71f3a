"""Annexes: uploads checked by their content and size, listed with size and digest,
downloadable as attachments, removable while the request is editable, all audited."""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, col, select

from mlat.models import (
    AuditEntry,
    FileContent,
    MlaRequest,
    RequestAnnex,
    RequestStatus,
    Role,
    StoredFile,
)
from mlat.services.annexes import sniff
from tests.conftest import (
    Client,
    LoginAs,
    MakeRequest,
    MakeUnit,
    MakeUser,
    check_page,
    field_value,
    flashes,
    form_errors,
    rows,
    text_of,
    texts,
)
from tests.wizard_helpers import HEADERS_TXT, PDF, PNG

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256))


@pytest.mark.parametrize(
    ("data", "media_type"),
    [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"),
     (HEADERS_TXT, "text/plain"), (b"\xef\xbb\xbfWith a BOM\r\n", "text/plain"),
     (EXE, None), (b"text with a \x00 byte", None), (b"\xff\xfe not utf-8", None),
     (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "text/plain")],
    ids=["pdf", "png", "jpeg", "text", "bom", "exe", "nul", "latin1", "svg-is-text"],
)  # fmt: skip
def test_file_type_is_read_from_the_bytes(data: bytes, media_type: str | None) -> None:
    assert sniff(data) == media_type


def _annexes(request: MlaRequest) -> str:
    assert request.id is not None
    return f"/requests/{request.id}/wizard/annexes"


def _upload(
    client: Client,
    request: MlaRequest,
    data: bytes,
    name: str,
    version: int | None = None,
    form_url: str | None = None,
    **extra: str,
) -> Any:
    fields = {
        "kind": "evidence",
        "title": "Headers of the fraudulent e-mails",
        "language": "en",
        "version": str(version or request.version),
        **extra,
    }
    files = {"file": (io.BytesIO(data), name), **fields}
    return client.submit(_annexes(request), files, form_url=form_url)


def _actions(db: Session, action: str) -> list[AuditEntry]:
    return list(db.exec(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def draft(login_as: LoginAs, make_request: MakeRequest) -> MlaRequest:
    return make_request(login_as(Role.officer))


def test_uploaded_annex_is_listed_with_size_and_digest_and_downloads_as_attachment(
    client: Client, draft: MlaRequest, db: Session
) -> None:
    response = _upload(client, draft, HEADERS_TXT, "headers.txt")
    assert response.status_code == 302
    page = check_page(client.get(_annexes(draft)))
    assert "Annex uploaded." in flashes(page)
    [(annex, file, size_and_digest, remove)] = rows(page, "table.annex-table")
    assert annex.startswith("Headers of the fraudulent e-mails")
    assert file.startswith("headers.txt")
    assert size_and_digest == f"{len(HEADERS_TXT)} Bytes {hashlib.sha256(HEADERS_TXT).hexdigest()}"
    assert remove == "Remove Headers of the fraudulent e-mails"
    db.expire_all()
    saved = db.get_one(MlaRequest, draft.id)
    assert saved.version == 2
    assert saved.content["annexes"] == [
        {
            "kind": "evidence",
            "title": "Headers of the fraudulent e-mails",
            "language": "en",
            "sha256": hashlib.sha256(HEADERS_TXT).hexdigest(),  # so approval covers the file
        }
    ]
    assert len(_actions(db, "annex.upload")) == 1

    link = page.select_one("table.annex-table td a")
    assert link is not None and re.fullmatch(r"/requests/\d+/annexes/\d+", str(link["href"]))
    with client.get(str(link["href"])) as download:
        assert download.status_code == 200
        assert download.data == HEADERS_TXT
        assert download.headers["Content-Type"].startswith("text/plain")
        assert download.headers["Content-Disposition"] == "attachment; filename=headers.txt"
        assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_reviewer_of_the_unit_can_download_but_another_unit_cannot(
    client: Client,
    draft: MlaRequest,
    login_as: LoginAs,
    make_unit: MakeUnit,
    db: Session,
) -> None:
    _upload(client, draft, PDF, "order.pdf")
    found = check_page(client.get(_annexes(draft))).select_one("table.annex-table td a")
    assert found is not None
    annex_url = str(found["href"])
    client.post("/logout")
    login_as(Role.reviewer)
    with client.get(annex_url) as download:
        assert download.status_code == 200
        assert download.headers["Content-Type"] == "application/pdf"
    client.post("/logout")
    login_as(Role.officer, unit_=make_unit())
    assert client.get(annex_url).status_code == 404


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            PNG,
            "warrant.pdf",
            "The file's name says a PDF document, but its content is a PNG image.",
        ),
        (EXE, "warrant.pdf", "This file is not a PDF, PNG or JPEG image, or plain UTF-8 text."),
        (EXE, "setup.exe", "This file is not a PDF, PNG or JPEG image, or plain UTF-8 text."),
        (b"", "empty.txt", "The file is empty."),
    ],
    ids=["png-named-pdf", "exe-named-pdf", "exe", "empty"],
)
def test_disguised_or_unknown_files_are_refused_at_the_field(
    client: Client, draft: MlaRequest, db: Session, data: bytes, name: str, message: str
) -> None:
    response = _upload(client, draft, data, name)
    assert response.status_code == 400
    page = check_page(response)
    assert text_of(page.select_one(".error-summary h2")) == "There is a problem"
    assert message in text_of(page.select_one("#file-error"))
    assert field_value(page, "title") == "Headers of the fraudulent e-mails"  # the title stays
    assert db.exec(select(StoredFile)).all() == []
    db.expire_all()
    assert db.get_one(MlaRequest, draft.id).version == 1


def test_a_png_without_extension_is_recognised_by_its_content(
    client: Client, draft: MlaRequest, db: Session
) -> None:
    assert _upload(client, draft, PNG, "screenshot").status_code == 302
    stored = db.exec(select(StoredFile)).one()
    assert stored.media_type == "image/png"


def test_a_file_over_the_size_limit_is_refused(
    client: Client, app: Flask, draft: MlaRequest, db: Session
) -> None:
    hint = "#upload-title ~ p.hint"
    page = check_page(client.get(_annexes(draft)))
    assert "up to 10 MB" in text_of(page.select_one(hint))  # the default limit
    app.config["ANNEX_MAX_BYTES"] = 100 * 1024
    big = b"%PDF-1.7\n" + b"0" * (100 * 1024)
    response = _upload(client, draft, big, "big.pdf")
    assert response.status_code == 400
    page = check_page(response)
    assert "The file is larger than 100 KB." in text_of(page.select_one("#file-error"))
    assert "up to 100 KB" in text_of(page.select_one(hint))
    assert db.exec(select(StoredFile)).all() == []


def test_an_upload_from_a_stale_page_is_refused(
    client: Client, draft: MlaRequest, db: Session
) -> None:
    assert _upload(client, draft, PDF, "one.pdf").status_code == 302
    stale = _upload(client, draft, PDF, "two.pdf", version=1, title="Second annex")
    assert stale.status_code == 409
    page = check_page(stale)
    messages = " ".join(flashes(page) + form_errors(page))
    assert "Someone else saved this request after you opened it." in messages
    assert field_value(page, "title") == "Second annex"
    assert len(db.exec(select(StoredFile)).all()) == 1


def test_removing_an_annex_deletes_its_file_and_is_audited(
    client: Client, draft: MlaRequest, db: Session
) -> None:
    _upload(client, draft, PDF, "order.pdf")
    page = check_page(client.get(_annexes(draft)))
    assert texts(page, "table.annex-table button") == ["Remove Headers of the fraudulent e-mails"]
    response = client.submit(
        f"/requests/{draft.id}/wizard/annexes/remove",
        {"position": "0", "version": "2"},
        form_url=_annexes(draft),
    )
    assert response.status_code == 302
    page = check_page(client.get(_annexes(draft)))
    assert page.select("table.annex-table") == []
    assert "No annexes yet." in texts(page, "#annexes p")
    assert db.exec(select(StoredFile)).all() == []
    assert db.exec(select(FileContent)).all() == []
    db.expire_all()
    assert db.get_one(MlaRequest, draft.id).content["annexes"] == []
    assert len(_actions(db, "annex.remove")) == 1


def test_an_imported_description_without_a_file_is_shown_and_removable(
    client: Client, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    content = {
        "annexes": [{"kind": "judicial_order", "title": "Warrant of 3 March", "language": "en"}]
    }
    request = make_request(login_as(Role.officer), content=content)
    page = check_page(client.get(_annexes(request)))
    [(annex, file, size_and_digest, _remove)] = rows(page, "table.annex-table")
    assert annex.startswith("Warrant of 3 March")
    assert (file, size_and_digest) == ("No file attached", "")
    client.submit(
        f"/requests/{request.id}/wizard/annexes/remove",
        {"position": "0", "version": "1"},
        form_url=_annexes(request),
    )
    db.expire_all()
    assert db.get_one(MlaRequest, request.id).content["annexes"] == []


def test_annexes_cannot_change_once_the_request_is_signed(
    client: Client, draft: MlaRequest, db: Session
) -> None:
    _upload(client, draft, PDF, "order.pdf")
    draft = db.get_one(MlaRequest, draft.id)
    draft.status = RequestStatus.signed
    db.add(draft)
    db.commit()
    response = _upload(client, draft, PDF, "late.pdf", version=2, form_url=f"/requests/{draft.id}")
    assert response.status_code == 302
    assert response.location == f"/requests/{draft.id}"
    removed = client.submit(
        f"/requests/{draft.id}/wizard/annexes/remove",
        {"position": "0", "version": "2"},
        form_url=f"/requests/{draft.id}",
    )
    assert removed.status_code == 302
    assert len(db.exec(select(StoredFile)).all()) == 1


@pytest.mark.parametrize(
    ("name", "extension"),
    [
        ("invoice.hta", ".hta"),
        ("run.bat", ".bat"),
        ("app.js", ".js"),
        ("page.html", ".html"),
        ("logo.svg", ".svg"),
        ("report\u202etxt.exe", ".exe"),
    ],
    ids=["hta", "bat", "js", "html", "svg", "rtl-override-exe"],
)
def test_a_name_that_would_open_as_a_program_or_a_page_is_refused(
    client: Client, draft: MlaRequest, db: Session, name: str, extension: str
) -> None:
    """Plain text under any name was kept and served under that name."""
    response = _upload(client, draft, HEADERS_TXT, name)
    assert response.status_code == 400
    page = check_page(response)
    assert text_of(page.select_one("#file-error")) == (
        f"Files named “…{extension}” are not accepted as annexes. Save the document as a "
        "plain-text file, with a name ending in .txt."
    )
    assert db.exec(select(StoredFile)).all() == []


def test_a_name_without_extension_gets_its_type_and_old_names_are_served_safely(
    client: Client, draft: MlaRequest, db: Session
) -> None:
    assert _upload(client, draft, HEADERS_TXT, "headers").status_code == 302
    annex = db.exec(select(RequestAnnex)).one()
    assert annex.filename == "headers.txt"
    # dots in a name are not an extension unless they end in one
    dated = _upload(client, draft, HEADERS_TXT, "Statement 12.03.2026", version=2)
    assert dated.status_code == 302
    names = db.exec(select(RequestAnnex.filename).order_by(col(RequestAnnex.id))).all()
    assert names == ["headers.txt", "Statement 12.03.2026.txt"]
    # a file kept under an unsafe name before names were checked is served under a safe one
    annex.filename = "invoice.hta"
    db.add(annex)
    db.commit()
    with client.get(f"/requests/{draft.id}/annexes/{annex.id}") as download:
        assert download.status_code == 200
        assert download.headers["Content-Disposition"] == "attachment; filename=invoice.txt"


def test_an_officer_who_did_not_work_on_a_request_may_not_take_its_files(
    client: Client, draft: MlaRequest, db: Session, make_user: MakeUser
) -> None:
    """A unit member got 403 on another officer's packet but 200 on its export and every
    annex: the three now follow one rule."""
    assert _upload(client, draft, HEADERS_TXT, "headers.txt").status_code == 302
    annex = db.exec(select(RequestAnnex)).one()
    client.login(make_user(Role.officer).email)
    page = check_page(client.get(_annexes(draft)))
    assert page.select("table.annex-table td a") == []  # the name, without a link
    assert "headers.txt" in text_of(page.select_one("table.annex-table"))
    assert client.get(f"/requests/{draft.id}/annexes/{annex.id}").status_code == 403
    assert client.get(f"/requests/{draft.id}/export.json").status_code == 403
    show = check_page(client.get(f"/requests/{draft.id}"))
    assert not [a for a in show.select("a") if text_of(a) == "Export JSON"]
    refused = [e for e in _actions(db, "annex.download") if e.outcome == "denied"]
    assert (
        len(refused) == 1
        and len([e for e in _actions(db, "request.export") if e.outcome == "denied"]) == 1
    )
    client.login(make_user(Role.reviewer).email)
    assert client.get(f"/requests/{draft.id}/annexes/{annex.id}").status_code == 200

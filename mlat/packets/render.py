"""Render a packet to PDF: Jinja templates to HTML, WeasyPrint to PDF/A-3b, then annexes.

``render_packet`` is a pure function of its values. The stylesheet, the font configuration
and the template environment are made once per process and reused; rendering holds a lock
because WeasyPrint's font map is not meant to be shared between threads at once.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pydyf  # type: ignore[import-untyped]
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from weasyprint import CSS, HTML, Attachment  # type: ignore[import-untyped]
from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]
from weasyprint.urls import FatalURLFetchingError  # type: ignore[import-untyped]

from mlat.packets.annexes import Placement, annex_page_counts, place_annex_pages
from mlat.packets.fetcher import BASE_URL, StaticFileFetcher
from mlat.packets.labels import Labels
from mlat.packets.values import Annex, PacketValues

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates" / "packet"
STYLESHEET = TEMPLATES_DIR / "packet.css"
PDF_VARIANT = "pdf/a-3b"

_render_lock = threading.Lock()


class PacketRenderError(RuntimeError):
    """The packet could not be rendered (a template asked for a refused resource)."""


@cache
def url_fetcher() -> StaticFileFetcher:
    return StaticFileFetcher()


@cache
def font_config() -> Any:
    return FontConfiguration()


@cache
def stylesheet() -> Any:
    return CSS(filename=str(STYLESHEET), font_config=font_config(), url_fetcher=url_fetcher())


@cache
def templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def packet_html(values: PacketValues, *, internal: bool, annex_pages: Mapping[int, int]) -> str:
    """The packet as HTML; ``annex_pages`` maps annex numbers to their number of PDF pages."""
    return (
        templates()
        .get_template("packet.html")
        .render(
            p=values, t=Labels(values.label_language), internal=internal, annex_pages=annex_pages
        )
    )


def html_to_pdf(html: str, attachments: Sequence[Any] = ()) -> tuple[bytes, list[Any]]:
    """PDF/A-3b bytes of the HTML, tagged, with the laid-out pages (for their anchors)."""
    try:
        with _render_lock:
            document = HTML(string=html, base_url=BASE_URL, url_fetcher=url_fetcher()).render(
                stylesheets=[stylesheet()], font_config=font_config()
            )
            with warnings.catch_warnings():
                # WeasyPrint opens its sRGB output-intent profile without closing it.
                warnings.simplefilter("ignore", ResourceWarning)
                pdf = document.write_pdf(
                    pdf_variant=PDF_VARIANT,
                    pdf_tags=True,  # a structure tree, for screen readers (PDF/UA's basis)
                    attachments=list(attachments),
                    finisher=list_attachments_once,
                )
    except FatalURLFetchingError as exc:
        raise PacketRenderError(str(exc)) from exc
    return pdf, list(document.pages)


def list_attachments_once(_document: Any, pdf: Any) -> None:
    """WeasyPrint lists each attachment twice in the catalogue's /AF array."""
    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))


def render_packet(values: PacketValues, *, internal: bool) -> bytes:
    """The packet as PDF bytes; the internal copy adds the compliance page."""
    annex_pages = annex_page_counts(values.annexes)
    html = packet_html(values, internal=internal, annex_pages=annex_pages)
    attachments = [attachment(a) for a in values.annexes if a.file and a.number not in annex_pages]
    pdf, pages = html_to_pdf(html, attachments)
    placements = annex_placements(pages, values.annexes, annex_pages)
    return place_annex_pages(pdf, placements) if placements else pdf


def attachment(annex: Annex) -> Any:
    assert annex.file is not None
    return Attachment(
        string=annex.file.data,
        name=annex.file.filename,
        description=f"{annex.number}. {annex.title}",
        created=annex.file.uploaded_at,
        modified=annex.file.uploaded_at,
        relationship="Supplement",
    )


def annex_placements(
    pages: Sequence[Any], annexes: Sequence[Annex], annex_pages: Mapping[int, int]
) -> list[Placement]:
    """Which annex page goes onto which packet page, found by the reserved pages' ids."""
    page_of = {name: index for index, page in enumerate(pages) for name in page.anchors}
    placements: list[Placement] = []
    for annex in annexes:
        if annex.file is None or annex.number not in annex_pages:
            continue
        for source in range(annex_pages[annex.number]):
            target = page_of[f"annex-{annex.number}-page-{source + 1}"]
            placements.append(Placement(target, annex.file.data, source))
    return placements

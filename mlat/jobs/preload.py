"""Imported once by the render fork server (``mlat.jobs.sandbox``): loads WeasyPrint and
renders one packet of the example request, so that the templates, the stylesheet, the
fonts and their shaping caches are loaded before any render is forked from it.

What is loaded then is frozen out of the cycle collector's reach (``gc.freeze``): a
render's collections no longer walk the hundreds of thousands of objects of the loaded
modules, and the forked children share those pages instead of copying them.
"""

from __future__ import annotations

import datetime as dt
import gc

from mlat.config import PROJECT_ROOT
from mlat.packets.build import Issuer, Record, packet_values
from mlat.packets.render import html_to_pdf, render_packet
from mlat.request_format import RequestDocument
from mlat.rules.loader import rulebook

EXAMPLE = PROJECT_ROOT / "docs" / "examples" / "qa-to-us-stored-content.json"


def warm_up() -> None:
    if not EXAMPLE.exists():  # an installation without the docs: fonts and styles only
        html_to_pdf("<p>Warm-up <b>bold</b> <i>italic</i> <code>mono</code> عربي</p>")
        return
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    values = packet_values(
        RequestDocument.model_validate_json(EXAMPLE.read_text()),
        record=Record("WARM-2026-0001", "Warm-up", "signed", now, now),
        issuer=Issuer("Warm-up unit", "QA", "Asia/Qatar"),
        book=rulebook(),
        annexes=[],
        now=now,
    )
    render_packet(values, internal=True)


warm_up()
gc.collect()
gc.freeze()

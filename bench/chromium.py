"""Headless Chromium printing the packet's HTML to PDF, for comparison with WeasyPrint.

Chromium is the operating system's (/usr/bin/chromium, `make setup` installs it), driven by
Playwright with a browser kept running, so each print is timed without the browser's
start; the browser's start is timed apart, as ``chromium --headless --print-to-pdf`` pays
it on every call. The stylesheet is inlined; fonts come from fontconfig, as WeasyPrint's
do. Peak memory is the sum of the peak resident sizes (VmHWM) of Chromium's processes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def executable() -> str | None:
    for candidate in (
        os.environ.get("MLAT_CHROMIUM"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def with_inline_css(html: str, css: str) -> str:
    return html.replace("</head>", f"<style>{css}</style></head>", 1)


def _peak_rss_mb(marker: str) -> float:
    """Summed VmHWM of the processes whose command line contains ``marker``."""
    total_kb = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker not in (entry / "cmdline").read_text(errors="replace"):
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return round(total_kb / 1024, 1)


def run(
    html: str, css: str, timed: Callable[[Callable[[], object]], dict[str, float]]
) -> dict[str, Any]:
    path = executable()
    if path is None:
        return {"skipped": "no Chromium (apt-get install chromium)"}
    from playwright.sync_api import sync_playwright

    page_html = with_inline_css(html, css)
    with tempfile.TemporaryDirectory(prefix="mlat-bench-chromium-") as profile:
        with sync_playwright() as driver:
            started = time.perf_counter()
            context = driver.chromium.launch_persistent_context(
                profile, executable_path=path, headless=True, args=ARGS
            )
            start_ms = round((time.perf_counter() - started) * 1000, 1)
            page = context.new_page()

            def print_pdf() -> bytes:
                page.set_content(page_html, wait_until="load")
                return page.pdf(prefer_css_page_size=True, print_background=True)

            pdf = print_pdf()  # warm up
            result = {
                **timed(print_pdf),
                "browser_start_ms": start_ms,
                "bytes": len(pdf),
                "peak_rss_mb": _peak_rss_mb(profile),
            }
            context.close()
        result["cli_print_to_pdf_ms"] = _cli(path, page_html)
    return result


def _cli(path: str, html: str) -> float:
    """One ``chromium --headless --print-to-pdf`` call, start to finish."""
    with tempfile.TemporaryDirectory(prefix="mlat-bench-chromium-cli-") as folder:
        source, out = Path(folder) / "packet.html", Path(folder) / "packet.pdf"
        source.write_text(html)
        started = time.perf_counter()
        subprocess.run(
            [
                path,
                "--headless",
                *ARGS,
                f"--user-data-dir={folder}/profile",
                "--no-pdf-header-footer",
                f"--print-to-pdf={out}",
                source.as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
        took = round((time.perf_counter() - started) * 1000, 1)
        return took if out.exists() else -1.0

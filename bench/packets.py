"""Packet speed: rendering a typical 10-page packet, against a plain WeasyPrint render of
the same HTML and against headless Chromium printing it (``bench.chromium``); a render
as a job in the sandbox (fork server, limits); serving a stored packet from the database.

The typical packet is the QA-to-US example request (cover letter, request, signature,
annex index) with a 3-page PDF annex appended and a text annex attached. The baseline is
WeasyPrint on the same HTML with neither the stylesheet nor PDF/A nor annex placement.
Peak memory: what tracemalloc sees (Python allocations only), and the peak resident size
of a fresh process that renders one packet (everything, Pango and fonts included).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import io
import json
import multiprocessing
import resource
import secrets
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from sqlmodel import Session
from weasyprint import HTML  # type: ignore[import-untyped]

from bench import chromium
from bench.server import bench_engine
from mlat import dispatch
from mlat.jobs.queues import ManualQueue
from mlat.jobs.sandbox import Limits, render_isolated
from mlat.migrate import upgrade
from mlat.models import MlaRequest, RequestStatus, Role, utcnow
from mlat.packets.annexes import annex_page_counts
from mlat.packets.build import AnnexInput, Issuer, Record, packet_values
from mlat.packets.certificates import demo_authority, demo_signing_pkcs12
from mlat.packets.render import STYLESHEET, html_to_pdf, packet_html, render_packet
from mlat.packets.signature import Credential, sign_pdf
from mlat.packets.values import AnnexFile, PacketValues
from mlat.request_format import RequestDocument
from mlat.rules.loader import rulebook
from mlat.services import packet_jobs
from mlat.services import packets as packet_service
from mlat.services.annexes import add_annex
from mlat.services.requests import create_request
from mlat.services.signing import SigningKeys, issue_demo_credential
from mlat.services.users import create_unit, create_user
from mlat.services.workflow import transition

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
EXAMPLE = EXAMPLES / "qa-to-us-stored-content.json"
NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)


def annex_pdf(pages: int) -> bytes:
    body = "".join(
        f'<h1 style="break-before: page">Annex page {n}</h1>' + "<p>Text of the law.</p>" * 30
        for n in range(1, pages + 1)
    )
    pdf, _pages = html_to_pdf(f"<html><body>{body}</body></html>")
    return pdf


def typical_values() -> PacketValues:
    document = RequestDocument.model_validate_json(EXAMPLE.read_text())
    law = AnnexFile("law-14-2014.pdf", "application/pdf", annex_pdf(3), NOW)
    headers = AnnexFile("headers.txt", "text/plain", b"Received: from mailhost.example\n" * 40, NOW)
    annexes = [
        AnnexInput("offence_text", document.annexes[0].title, "en", law),
        AnnexInput("evidence", document.annexes[1].title, "en", headers),
    ]
    return packet_values(
        document,
        record=Record("DOH-2026-0001", "Business e-mail compromise", "signed", NOW, NOW),
        issuer=Issuer("Cybercrime Unit, Doha", "QA", "Asia/Qatar"),
        book=rulebook(),
        annexes=annexes,
        now=NOW,
    )


def timed(
    action: Callable[[], object], rounds: int, prepare: Callable[[], object] | None = None
) -> dict[str, float]:
    """Wall-clock median and maximum, and the median CPU time of this process (which other
    work on a shared machine disturbs less); ``prepare`` runs, untimed, before each round.

    Each round runs with the cycle collector off and collects afterwards, untimed, as a
    render job does (``mlat.jobs.sandbox``): otherwise the figures of in-process renders
    would depend on how much else this process happens to hold."""
    wall, cpu = [], []
    for _ in range(rounds):
        if prepare is not None:
            prepare()
        gc.disable()
        try:
            start, start_cpu = time.perf_counter(), time.process_time()
            action()
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        finally:
            gc.enable()
            gc.collect()
    return {
        "median_ms": round(statistics.median(wall) * 1000, 1),
        "max_ms": round(max(wall) * 1000, 1),
        "cpu_median_ms": round(statistics.median(cpu) * 1000, 1),
    }


BENCH_KEYS = SigningKeys.from_secret("bench")


def demo_credential() -> Credential:
    """A throwaway demonstration certificate, as seed-demo gives a prosecutor."""
    now = utcnow()
    authority = demo_authority("Bench unit", "QA", now)
    pkcs12 = demo_signing_pkcs12(authority, name="Bench Prosecutor", email="p@bench.example",
                                 organisation="Bench unit", country="QA", passphrase=b"bench",
                                 now=now)  # fmt: skip
    return Credential(pkcs12, b"bench", (authority.certificate,))


def sign_typical(pdf: bytes, credential: Credential) -> bytes:
    """The PAdES signature the app adds to a stored packet, stamp included."""
    return sign_pdf(pdf, credential, stamp_lines=("Digitally signed by Bench Prosecutor",),
                    reason="Request DOH-2026-0001", location="Bench unit")  # fmt: skip


def signed_typical_pdf() -> bytes:
    """The typical packet, signed with a throwaway demonstration certificate."""
    return sign_typical(render_packet(typical_values(), internal=False), demo_credential())


def peak_memory_mb(action: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        action()
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    finally:
        tracemalloc.stop()


def stored_packet_serving(rounds: int) -> dict[str, float]:
    """Reading a stored packet's bytes from a fresh SQLite database, one session per read."""
    with tempfile.TemporaryDirectory() as folder:
        engine = bench_engine(f"sqlite:///{folder}/bench.sqlite3")
        upgrade(engine)
        with Session(engine, expire_on_commit=False) as session:
            unit = create_unit(session=session, name="Cybercrime Unit, Doha", code="DOH",
                               state="QA", timezone="Asia/Qatar")  # fmt: skip
            officer = create_user(session=session, email="bench@example.org", name="Bench",
                                  password=secrets.token_urlsafe(16), unit=unit,
                                  roles=[Role.officer])  # fmt: skip
            request = create_request(session=session, owner=officer, title="Bench",
                                     requested_state="US",
                                     content=json.loads(EXAMPLE.read_text()))  # fmt: skip
            request.status, request.signed_at = RequestStatus.signed, utcnow()
            packet_service.store_signed_packet(session=session, request=request,
                                               keys=BENCH_KEYS, pdf=signed_typical_pdf(),
                                               signed=True)  # fmt: skip
            session.commit()

        def serve() -> bytes:
            with Session(engine) as fresh:
                return packet_service.packet_bytes(session=fresh, request=request,
                                                   keys=BENCH_KEYS)  # fmt: skip

        result = timed(serve, rounds)
        engine.dispose()
        return result


def sign_to_signed_pdf(rounds: int) -> dict[str, Any]:
    """From "Sign" to a downloadable signed packet, as the app does it (SQLite): the
    transition, then the signed packet's job, which finds the packet rendered while the
    prosecutor read the request and only adds the signature, then reading it back. Each
    round signs a fresh approved request of the typical packet (annex files uploaded)
    whose page the prosecutor opened, and whose render for signing is done, untimed."""
    with tempfile.TemporaryDirectory() as folder:
        engine = bench_engine(f"sqlite:///{folder}/bench.sqlite3")
        upgrade(engine)
        queue = ManualQueue(engine, Limits(seconds=120, memory_mb=1024), BENCH_KEYS)
        dispatch.register(engine, queue)
        session = Session(engine, expire_on_commit=False)
        unit = create_unit(session=session, name="Cybercrime Unit, Doha", code="DOH",
                           state="QA", timezone="Asia/Qatar")  # fmt: skip
        officer, prosecutor = (
            create_user(
                session=session,
                email=f"{role}@bench.example",
                name=f"Bench {role}",
                password=secrets.token_urlsafe(16),
                unit=unit,
                roles=[role],
            )
            for role in (Role.officer, Role.prosecutor)
        )
        issue_demo_credential(session=session, user=prosecutor, keys=BENCH_KEYS)
        session.commit()
        current: list[MlaRequest] = []

        def approved_and_read() -> None:
            request = create_request(session=session, owner=officer, title="Bench",
                                     requested_state="US",
                                     content=json.loads(EXAMPLE.read_text()))  # fmt: skip
            session.commit()
            document = RequestDocument.model_validate_json(EXAMPLE.read_text())
            files = ((annex_pdf(3), "law-14-2014.pdf"),
                     (b"Received: from mailhost.example\n" * 40, "headers.txt"))  # fmt: skip
            for annex, (data, name) in zip(document.annexes, files, strict=True):
                add_annex(session=session, request=request, editor=officer,
                          expected_version=request.version, data=data, filename=name,
                          kind=annex.kind, title=annex.title, language="en")  # fmt: skip
                session.commit()
            request.status, request.approved_digest = RequestStatus.approved, request.content_digest
            session.commit()
            packet_jobs.prepare_signature(session=session, request=request, user=prosecutor)
            session.commit()
            assert queue.run_all() == ["done"]
            current[:] = [request]

        def sign() -> bytes:
            request = current[0]
            transition(session=session, request=request, actor=prosecutor, action="sign",
                       expected_version=request.version)  # fmt: skip
            session.commit()
            assert queue.run_all() == ["done"]
            with Session(engine) as fresh:
                return packet_service.packet_bytes(session=fresh, request=request,
                                                   keys=BENCH_KEYS)  # fmt: skip

        result: dict[str, Any] = timed(sign, rounds, prepare=approved_and_read)
        with Session(engine) as fresh:
            pdf = packet_service.packet_bytes(session=fresh, request=current[0], keys=BENCH_KEYS)
        result["pages"] = len(PdfReader(io.BytesIO(pdf)).pages)
        session.close()
        engine.dispose()
        return result


def _render_once_and_report(queue: Any) -> None:
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Python, WeasyPrint, mlat
    render_packet(typical_values(), internal=False)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((loaded / 1024, after / 1024))


def process_peak_rss_mb() -> dict[str, float]:
    """Peak resident size of a fresh (spawned) process once its modules are loaded, and
    after it made the typical packet's values (their annex is a WeasyPrint render too) and
    rendered the packet."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_render_once_and_report, args=(queue,))
    child.start()
    before, after = queue.get(timeout=300)
    child.join()
    queue.close()
    return {"process_peak_rss_mb": round(after, 1), "loaded_rss_mb": round(before, 1)}


def run(rounds: int = 7) -> dict[str, Any]:
    values = typical_values()
    html = packet_html(values, internal=False, annex_pages=annex_page_counts(values.annexes))
    pdf = render_packet(values, internal=False)  # warm up: fonts, stylesheet, templates
    HTML(string=html).write_pdf()
    # the same packet with Arabic labels, right to left, as for a request to the UAE
    arabic = dataclasses.replace(values, label_language="ar")
    arabic_html = packet_html(arabic, internal=False,
                              annex_pages=annex_page_counts(arabic.annexes))  # fmt: skip
    render_packet(arabic, internal=False)
    limits = Limits(seconds=120, memory_mb=1024)
    render_isolated(values, internal=False, limits=limits)  # starts the fork server
    signing = demo_credential()
    sign_typical(pdf, signing)  # loads the stamp's font
    return {
        "pages": len(PdfReader(io.BytesIO(pdf)).pages),
        "bytes": len(pdf),
        "packet": {
            **timed(lambda: render_packet(values, internal=False), rounds),
            "peak_mb": peak_memory_mb(lambda: render_packet(values, internal=False)),
            **process_peak_rss_mb(),
        },
        "packet_in_job_sandbox": timed(
            lambda: render_isolated(values, internal=False, limits=limits), rounds
        ),
        "baseline_plain_html": {
            **timed(lambda: HTML(string=html).write_pdf(), rounds),
            "peak_mb": peak_memory_mb(lambda: HTML(string=html).write_pdf()),
        },
        "signature": timed(lambda: sign_typical(pdf, signing), rounds),
        "sign_to_signed_pdf": sign_to_signed_pdf(rounds),
        "chromium": chromium.run(html, STYLESHEET.read_text(), lambda f: timed(f, rounds)),
        "packet_ar": timed(lambda: render_packet(arabic, internal=False), rounds),
        "chromium_ar": chromium.run(
            arabic_html, STYLESHEET.read_text(), lambda f: timed(f, rounds)
        ),
        "stored_packet_read": stored_packet_serving(rounds * 5),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))

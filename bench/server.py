"""The app (or a minimal Flask app) served by gunicorn for a benchmark, a logged-in user's
cookie for it, and wrk to put it under load.

gunicorn runs with the project's gunicorn.conf.py, as ``make serve`` does, so the pages
and the minimal endpoint are served the same way. wrk (Debian's package) is the load
generator; without it a small threaded Python client stands in, and the results say so.
"""

from __future__ import annotations

import base64
import hashlib
import http.cookiejar
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from mlat.crypto import Keyring, use_keyring
from mlat.db import make_engine
from mlat.models import User
from mlat.services import twofactor

PROJECT = Path(__file__).resolve().parent.parent
USER_AGENT = "mlat-bench"
"""sent by every client here: Flask-Login ties a session to the client's user agent"""
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"
BENCH_DATA_KEYS = "bench:" + base64.b64encode(hashlib.sha256(b"mlat bench").digest()).decode()
"""the data key of the served app and of the scripts that arrange its data"""


def bench_engine(database_url: str) -> Engine:
    """An engine on the benchmark's database that seals and opens as the app does."""
    engine = make_engine(database_url)
    use_keyring(engine, Keyring.parse(BENCH_DATA_KEYS))
    return engine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def gunicorn(
    database_url: str, *, app: str = "app:app", env: dict[str, str] | None = None
) -> Iterator[str]:
    """The app served by gunicorn on a free port; yields its base URL."""
    port = free_port()
    with tempfile.TemporaryDirectory() as instance:
        settings = {
            **os.environ,
            "MLAT_DATABASE_URL": database_url,
            "MLAT_SECRET_KEY": "bench-secret-key",
            "MLAT_DATA_KEYS": BENCH_DATA_KEYS,
            "MLAT_INSTANCE_PATH": instance,
            "MLAT_BIND": f"127.0.0.1:{port}",
            "MLAT_ACCESS_LOG": "",
            **(env or {}),
        }
        log = Path(instance) / "gunicorn.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", app],
                cwd=PROJECT,
                env=settings,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not start on {url}: {log.read_text()[-2000:]}")


def with_authenticator(database_url: str, email: str) -> str:
    """Set up two-factor for a seeded user; returns the secret their authenticator holds."""
    secret = twofactor.new_secret()
    engine = bench_engine(database_url)
    with Session(engine) as session:
        user = session.exec(select(User).where(col(User.email) == email)).one()
        twofactor.store_secret(session=session, user=user, secret=secret)
        user.totp_last_step = None
        session.add(user)
        session.commit()
    engine.dispose()
    return secret


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Browser:
    """One user's cookies against the server, and forms posted with their CSRF token."""

    base: str

    def __post_init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )
        self.opener.addheaders = [("User-Agent", USER_AGENT)]

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def form(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        status, page = self.request(path)
        if status != 200:
            return status, page
        return self.request(path, {**hidden_fields(page), **fields})

    def login(self, email: str, password: str, totp_secret: str | None = None) -> None:
        status, _page = self.form("/login", {"email": email, "password": password})
        if status == 302 and totp_secret:
            status, _page = self.form("/login/code", {"code": pyotp.TOTP(totp_secret).now()})
        if status != 302:
            raise RuntimeError(f"could not log in as {email}: {status}")

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def hidden_fields(page: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="hidden"' in tag and name:
            fields.setdefault(name.group(1), unescape(value.group(1)) if value else "")
    return fields


def load(url: str, *, cookie: str = "", connections: int = 20, seconds: int = 10) -> dict[str, Any]:
    """Requests per second and latency percentiles of GET ``url`` under ``connections``
    concurrent clients for ``seconds`` (after a 2-second warm-up)."""
    _check_answers(url, cookie)
    if shutil.which("wrk"):
        _wrk(url, cookie, connections, 2)
        return {**_wrk(url, cookie, connections, seconds), "client": "wrk"}
    _python_client(url, cookie, connections, 2)
    return {**_python_client(url, cookie, connections, seconds), "client": "python threads"}


def _headers(cookie: str) -> dict[str, str]:
    return {"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}


def _check_answers(url: str, cookie: str) -> None:
    """The page must answer 200 with this cookie, or the figures would be of a redirect."""
    request = urllib.request.Request(url, headers=_headers(cookie))
    opener = urllib.request.build_opener(_NoRedirect())
    try:
        with opener.open(request, timeout=60) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if status != 200:
        raise RuntimeError(f"{url} answers {status}, not 200: the benchmark would be wrong")


def _wrk(url: str, cookie: str, connections: int, seconds: int) -> dict[str, Any]:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(WRK_SCRIPT),
        url,
    ]
    for name, value in _headers(cookie).items():
        command[1:1] = ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in output.splitlines() if x.startswith("JSON "))
    found: dict[str, Any] = json.loads(line[5:])
    return found


def _python_client(url: str, cookie: str, connections: int, seconds: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < deadline:
            request = urllib.request.Request(url, headers=_headers(cookie))
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
                    ok = response.status < 400
            except OSError:
                ok = False
            with lock:
                latencies.append((time.perf_counter() - start) * 1000)
                errors[0] += 0 if ok else 1

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()

    def at(share: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * share))], 1)

    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "errors": errors[0],
    }

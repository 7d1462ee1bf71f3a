"""Officers at work, for the open-loop load (bench.load): run by Locust in a process of its
own, since Locust patches the standard library for gevent when it is imported.

    python -m bench.officers PLAN.json

The plan (written by bench.load) names the server, the accounts with one draft each, the
requests and searches to open, the think time and the arrival rates to step through.
Each simulated officer logs in once, then goes round what an officer does: the
dashboard, the list, a request, the facts step of their draft and a save, the persons
step, a search and the statistics. The wait between two clicks is drawn from an
exponential distribution and counted from the start of the previous click, so the clicks
arrive at the set rate whatever the server's speed (an open loop), as long as a page
takes less than the wait. At each rate the statistics are reset once every officer is
logged in and the pages warm, then read after the measured seconds; the run prints them
as JSON on its last line.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import locust  # patches the standard library for gevent: time.sleep yields below
from locust import FastHttpUser, task
from locust.env import Environment
from locust.stats import StatsEntry

from bench.server import USER_AGENT, hidden_fields


def cpu_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


class Officer(FastHttpUser):
    """One officer of the unit, logged in with an account and a draft of their own."""

    plan: ClassVar[dict[str, Any]] = {}
    default_headers = {"User-Agent": USER_AGENT}  # noqa: RUF012 (Locust reads it per user)
    numbers: ClassVar[itertools.count[int]] = itertools.count()
    logged_in: ClassVar[int] = 0
    due = 0.0
    """when the next click is due (time.monotonic)"""
    clicks = 0

    def wait_time(self) -> float:
        # Paced from the start of the last click: exponential gaps, so the unit's clicks
        # arrive as a Poisson process at users / think_time per second.
        # An officer kept waiting by a slow page clicks once at once, not the clicks the
        # wait made them miss: the schedule starts again from now.
        now = time.monotonic()
        self.due = max(self.due + self.rng.expovariate(1.0 / self.plan["think_seconds"]), now)
        return self.due - now

    def on_start(self) -> None:
        n = next(self.numbers)
        account = self.plan["accounts"][n % len(self.plan["accounts"])]
        self.draft = account["draft"]
        self.rng = random.Random(n)
        self.form = hidden_fields(self._get("/login", "(log in: form)"))
        self._post("/login", {"email": account["email"], "password": self.plan["password"]},
                   name="log in", expect="/")  # fmt: skip
        self.due = time.monotonic()
        Officer.logged_in += 1
        # Officers start at different pages of the round (not at the save, which needs
        # the facts page open).
        self.clicks = self.rng.choice(
            [i for i, click in enumerate(self.ROUND) if click is not Officer.save]
        )

    def _post(
        self, path: str, fields: dict[str, str], *, name: str, expect: str | None = None
    ) -> None:
        """Post a form with the hidden fields of the page it was on (the last one opened),
        as a browser does; the answer must be a redirect, to ``expect`` if given."""
        with self.client.post(
            path,
            data={**self.form, **fields},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            where = answer.headers.get("Location", "") if answer.headers else ""
            if answer.status_code not in (302, 303) or not where.endswith(expect or ""):
                answer.failure(f"{name}: {answer.status_code} to {where!r}")

    def _get(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as page:
            if page.status_code != 200:
                page.failure(f"{name}: {page.status_code}")
            return page.text or ""

    # One round of an officer's work: PAGE_VIEWS clicks, in this order.

    def dashboard(self) -> None:
        self._get("/dashboard", "dashboard")

    def request_list(self) -> None:
        self._get("/", "request list")

    def a_request(self) -> None:
        self._get(f"/requests/{self.rng.choice(self.plan['requests'])}", "a request")

    def facts(self) -> None:
        self.form = hidden_fields(
            self._get(f"/requests/{self.draft}/wizard/facts", "wizard: facts")
        )

    def save(self) -> None:
        saved = f"Saved at {time.time():.3f}: the victim reported the fraud on 9 March."
        fields = {"facts": saved, "nexus": "The accounts named were used."}
        self._post(f"/requests/{self.draft}/wizard/facts", fields, name="wizard: save")

    def persons(self) -> None:
        self._get(f"/requests/{self.draft}/wizard/persons", "wizard: persons")

    def search(self) -> None:
        self._get(f"/search?q={self.rng.choice(self.plan['searches'])}", "search")

    def statistics(self) -> None:
        self._get("/statistics", "statistics")

    ROUND = (dashboard, request_list, a_request, facts, save, persons, search, statistics)

    @task
    def next_click(self) -> None:
        """The next click of the round; Locust waits ``wait_time`` between two."""
        self.ROUND[self.clicks % len(self.ROUND)](self)
        self.clicks += 1


def _figures(env: Environment, seconds: float) -> dict[str, Any]:
    pages: dict[str, Any] = {}
    for (name, _method), entry in sorted(env.stats.entries.items()):
        if name.startswith("(") or name == "log in" or not entry.num_requests:
            continue
        pages[name] = {
            "views": entry.num_requests,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
            "max_ms": round(entry.max_response_time or 0, 1),
            "failures": entry.num_failures,
        }
    views = sum(p["views"] for p in pages.values())
    everything = [entry for (name, _m), entry in env.stats.entries.items() if name in pages]
    merged = StatsEntry(env.stats, "all pages", "")
    for entry in everything:
        merged.extend(entry)
    return {
        "views_per_second": round(views / seconds, 1),
        "all": {
            "views": views,
            "p50_ms": merged.get_response_time_percentile(0.5),
            "p95_ms": merged.get_response_time_percentile(0.95),
            "p99_ms": merged.get_response_time_percentile(0.99),
            "failures": merged.num_failures,
        },
        "pages": pages,
        "errors": {f"{e.name}: {e.error}"[:300]: e.occurrences for e in env.stats.errors.values()},
    }


def run(plan: dict[str, Any]) -> list[dict[str, Any]]:
    Officer.plan = plan
    Officer.host = plan["base"]
    env = Environment(user_classes=[Officer])
    runner = env.create_local_runner()
    stages: list[dict[str, Any]] = []
    for rate in plan["rates"]:
        users = round(rate * plan["think_seconds"])
        runner.start(users, spawn_rate=plan["spawn_rate"])
        deadline = time.monotonic() + 60 + users / plan["spawn_rate"]
        while (Officer.logged_in < users or runner.state == "spawning") and (
            time.monotonic() < deadline  # or a login failed: the figures will say
        ):
            time.sleep(0.5)
        time.sleep(plan["warm_up_seconds"])
        env.stats.reset_all()
        busy, total = cpu_busy()
        started = time.monotonic()
        time.sleep(plan["seconds"])
        took = time.monotonic() - started
        busy_after, total_after = cpu_busy()
        stage = {
            "rate": rate,
            "users": users,
            "seconds": round(took, 1),
            **_figures(env, took),
            "cpu_busy_percent": round(100 * (busy_after - busy) / max(1, total_after - total)),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
        stages.append(stage)
        print(f"{rate} views/s: p95 {stage['all']['p95_ms']} ms", file=sys.stderr, flush=True)
        if stage["all"]["p95_ms"] > plan["ceiling_ms"]:
            break
    runner.quit()
    return stages


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text())
    print(json.dumps(run(plan)))


if __name__ == "__main__":
    assert locust.__version__
    main()

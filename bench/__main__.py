"""Run the benchmarks, write bench/results/<name>.json and the summary in BENCHMARKS.md.

    python -m bench                 the full run (100,000 requests, 20 to 30 minutes)
    BENCH_QUICK=1 python -m bench   a smaller, shorter run (5,000 requests, a few minutes)
    python -m bench --only packets --only validation

Each engine (SQLite, and PostgreSQL when it answers) gets a fresh database seeded with
``--count`` requests (bench.seed); the page timings through the test client (bench.pages),
the pages under gunicorn with 20 concurrent clients (bench.http), the concurrent
writers (bench.writers) and the open-loop load of officers at work (bench.load) then run
on it, in that order; on PostgreSQL the load runs again on two instances behind nginx.
Every figure is stored with the machine and its load average: the machines here are
shared.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from bench import evidence, http, load, machine, packets, pages, report, validation, writers

RESULTS = Path(__file__).resolve().parent / "results"
SUITES = ("validation", "packets", "evidence", "pages", "http", "writers", "load", "instances")
ENGINE_SUITES = ("pages", "http", "writers", "load", "instances")


def options() -> argparse.Namespace:
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        default=quick,
        help="a smaller, shorter run (also BENCH_QUICK=1)",
    )
    parser.add_argument("--only", action="append", choices=SUITES, help="run only these")
    parser.add_argument("--count", type=int, help="requests seeded per engine (100,000)")
    parser.add_argument("--seconds", type=int, help="seconds of load per page (15)")
    parser.add_argument("--writer-seconds", type=int, help="seconds of writing (60)")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    defaults = (5_000, 4, 10, 10, 3) if args.quick else (100_000, 15, 60, 30, 7)
    # the open-loop load: the rates stepped through, and the seconds measured at each
    args.rates, args.load_seconds = (load.QUICK_RATES, 10) if args.quick else (load.RATES, 30)
    args.count = args.count or defaults[0]
    args.seconds = args.seconds or defaults[1]
    args.writer_seconds = args.writer_seconds or defaults[2]
    args.repeats, args.rounds = defaults[3], defaults[4]
    args.only = args.only or list(SUITES)
    return args


def databases(sqlite_only: bool) -> Iterator[tuple[str, AbstractContextManager[str]]]:
    yield "sqlite", pages.sqlite_database()
    if not sqlite_only and pages.postgres_answers():
        yield "postgresql", pages.postgres_database()


def save(name: str, data: dict[str, Any], args: argparse.Namespace) -> None:
    stamp = {**machine.describe(), "quick": args.quick}
    (RESULTS / f"{name}.json").write_text(
        json.dumps({**stamp, "results": data}, indent=2, default=str) + "\n"
    )
    print(f"{name}: written to bench/results/{name}.json", flush=True)


def main() -> None:
    args = options()
    RESULTS.mkdir(exist_ok=True)
    if "validation" in args.only:
        save("validation", validation.run(), args)
    if "packets" in args.only:
        save("packets", packets.run(args.rounds), args)
    if "evidence" in args.only:
        save("evidence", evidence.run(args.quick), args)
    by_engine: dict[str, dict[str, Any]] = {suite: {} for suite in ENGINE_SUITES}
    if any(suite in args.only for suite in ENGINE_SUITES):
        for engine, database in databases(args.sqlite_only):
            with database as url:
                print(f"{engine}: seeding {args.count} requests", flush=True)
                seeded = pages.seed_database(url, count=args.count)
                email = seeded["email"]
                if "pages" in args.only:
                    timed = pages.measure_pages(url, email=email, repeats=args.repeats)
                    by_engine["pages"][engine] = {
                        **seeded,
                        "pages": timed,
                        "load_average": machine.load_average(),
                    }
                if "http" in args.only:
                    by_engine["http"][engine] = {
                        "requests": args.count,
                        "connections": http.CONNECTIONS,
                        "seconds": args.seconds,
                        "pages": http.run(
                            url, email=email, password=pages.PASSWORD, seconds=args.seconds
                        ),
                    }
                if "writers" in args.only:
                    by_engine["writers"][engine] = writers.run(
                        url, password=pages.PASSWORD, seconds=args.writer_seconds
                    )
                for suite, instances in (("load", 1), ("instances", 2)):
                    if suite not in args.only or (instances > 1 and engine != "postgresql"):
                        continue
                    if instances > 1 and not load.nginx_available():
                        print("nginx is missing: the two-instance run is left out", flush=True)
                        continue
                    print(f"{engine}: open-loop load on {instances} instance(s)", flush=True)
                    by_engine[suite][engine] = load.run(
                        url,
                        password=pages.PASSWORD,
                        rates=args.rates,
                        seconds=args.load_seconds,
                        instances=instances,
                    )
        for suite, data in by_engine.items():
            if data:
                save(suite, data, args)
    report.update(RESULTS, Path(__file__).resolve().parent.parent / "BENCHMARKS.md")
    print("BENCHMARKS.md updated.")


if __name__ == "__main__":
    main()

"""Run every benchmark, write bench/results/<name>.json and print a summary."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path

from bench import packets, pages, validation

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    figures = {"validation": validation.run(), "packets": packets.run(), "pages": pages.run()}
    stamp = {"date": dt.date.today().isoformat(), "machine": machine()}
    for name, data in figures.items():
        (RESULTS / f"{name}.json").write_text(
            json.dumps({**stamp, "results": data}, indent=2) + "\n"
        )
    print(f"{stamp['date']} on {stamp['machine']}")
    for example, row in figures["validation"].items():
        print(
            f"validate {example}: median {row['median_us']} µs, p95 {row['p95_us']} µs, "
            f"{row['per_second']} requests/s"
        )


if __name__ == "__main__":
    main()

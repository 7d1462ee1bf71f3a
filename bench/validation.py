"""Validation speed of the rules engine on one core, tables already loaded."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
from pathlib import Path
from typing import Any

from mlat.request_format import RequestDocument
from mlat.rules.engine import validate
from mlat.rules.loader import rulebook

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


def run(seconds_per_example: float = 2.0) -> dict[str, Any]:
    book = rulebook()
    today = dt.date(2026, 11, 22)
    results: dict[str, Any] = {}
    for path in sorted(EXAMPLES.glob("*.json")):
        request = RequestDocument.model_validate_json(path.read_text())
        validate(request, book, today)  # warm up
        timings: list[float] = []
        deadline = time.perf_counter() + seconds_per_example
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            for _ in range(100):
                validate(request, book, today)
            timings.append((time.perf_counter() - start) / 100)
        results[path.stem] = {
            "median_us": round(statistics.median(timings) * 1e6, 1),
            "p95_us": round(sorted(timings)[int(len(timings) * 0.95)] * 1e6, 1),
            "per_second": round(1 / statistics.median(timings)),
        }
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))

"""What a benchmark ran on, and how busy the machine was: recorded with every figure."""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return 0.0


def load_average() -> list[float]:
    return [round(n, 2) for n in os.getloadavg()]


def describe() -> dict[str, Any]:
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "memory_gib": memory_gib(),
        "python": platform.python_version(),
        "load_average": load_average(),
    }


def summary(stamp: dict[str, Any]) -> str:
    return (
        f"{stamp['cores']} cores ({stamp['cpu']}), {stamp['memory_gib']} GiB, "
        f"Python {stamp['python']}"
    )

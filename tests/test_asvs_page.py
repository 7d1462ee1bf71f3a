"""docs/asvs.md keeps its summary true: the counts per chapter are those of its rows."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "asvs.md"
STATUSES = ("Met", "Partly met", "Not met", "N/A", "Not verified")
CHAPTERS = {"5": "V5", "6": "V6", "7": "V7", "8": "V8", "16": "V16"}


def _rows(text: str) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {chapter: Counter() for chapter in CHAPTERS.values()}
    for number, status in re.findall(
        r"^\| (\d+\.\d+\.\d+) \| \d \| [^|]+ \| ([^|]+) \|", text, re.M
    ):
        assert status.strip() in STATUSES, (number, status)
        counts[CHAPTERS[number.split(".")[0]]][status.strip()] += 1
    return counts


def _summary(text: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for chapter, cells in re.findall(r"^\| \**(V\d+)[^|]*\| ([\d |*]+)\|$", text, re.M):
        found[chapter] = [int(c.strip(" *")) for c in cells.split("|")]
    return found


def test_the_summary_counts_the_rows() -> None:
    text = PAGE.read_text()
    rows, summary = _rows(text), _summary(text)
    assert set(summary) == set(CHAPTERS.values())
    for chapter, counts in rows.items():
        expected = [sum(counts.values()), *(counts[s] for s in STATUSES)]
        assert summary[chapter] == expected, chapter
    total = [sum(column) for column in zip(*summary.values(), strict=True)]
    [all_five] = re.findall(r"^\| \*\*all five\*\* \| ([\d |*]+)\|$", text, re.M)
    assert [int(c.strip(" *")) for c in all_five.split("|")] == total

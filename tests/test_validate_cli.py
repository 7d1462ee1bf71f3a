"""``flask validate`` and ``flask rules check`` as an officer or a data editor runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from mlat.request_format import json_schema_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"


def test_complete_request_exits_0_with_no_errors(runner: Any) -> None:
    result = runner.invoke(
        args=["validate", str(EXAMPLES / "qa-to-us-stored-content.json"), "--today", "2026-11-22"]
    )
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    # UNTOC's serious-crime threshold, and its party entries read in copies only
    assert (output["errors"], output["warnings"]) == (0, 2)
    assert [f["code"] for f in output["findings"]] == [
        "legal_basis_unverified",
        "scope_penalty_below",
        "scope_transnational_organised",
    ]


def test_incomplete_request_exits_1_and_lists_findings(runner: Any) -> None:
    result = runner.invoke(
        args=[
            "validate",
            str(EXAMPLES / "ng-to-gb-subscriber-incomplete.json"),
            "--today",
            "2026-11-22",
        ]
    )
    assert result.exit_code == 1
    out = json.loads(result.output)
    assert out["errors"] >= 5
    assert out["warnings"] >= 1
    ip = next(f for f in out["findings"] if f["code"] == "ip_without_timezone")
    assert ip["field"] == "identifiers[0].observed_at"
    assert ip["severity"] == "error"
    assert "time zone" in ip["message"]
    cited = [f for f in out["findings"] if f["citation"]]
    assert cited and {"title", "url", "verified_on", "status"} <= set(cited[0]["citation"])


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "not a valid request"),
        ('{"requested_state": "usa"}', "requested_state"),
        ('{"measures": [{"kind": "telepathy"}]}', "measures.0.kind"),
        ('{"unexpected": 1}', "unexpected"),
        ("[]", "not a valid request"),
    ],
)
def test_invalid_file_exits_2_with_one_clear_line(
    runner: Any, tmp_path: Path, content: str, says: str
) -> None:
    path = tmp_path / "request.json"
    path.write_text(content)
    result = runner.invoke(args=["validate", str(path)])
    assert result.exit_code == 2
    assert says in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_missing_file_exits_2(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["validate", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_rules_check_summarises_every_state(runner: Any) -> None:
    result = runner.invoke(args=["rules", "check"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    (us,) = [line for line in lines if line.startswith("US United States:")]
    counts = re.fullmatch(
        r"US United States: (\d+) rules, (\d+) verified against a primary source \((\d+)%\), "
        r"(\d+) against a secondary source only, (\d+) stale, (\d+) unverified",
        us,
    )
    assert counts is not None
    total, primary, share, secondary, stale, unverified = map(int, counts.groups())
    assert total == primary + secondary + stale + unverified
    assert share == round(100 * primary / total)
    (catalogue,) = [line for line in lines if line.startswith("instruments catalogue:")]
    assert re.search(r"\d+ verified against a primary source \(\d+%\)", catalogue)
    assert "  can cause an error, not primary-verified:" in lines
    assert any(line.strip().startswith("untoc: ") for line in lines)
    tables = len(list((ROOT / "mlat" / "rules" / "data" / "states").glob("*.toml")))
    providers = len(list((ROOT / "mlat" / "rules" / "data" / "providers").glob("*.toml")))
    assert lines[-1] == (
        f"{tables} state tables, the catalogue and {providers} providers match the schema."
    )


def test_published_json_schema_is_in_step_with_the_code() -> None:
    published = (ROOT / "docs" / "request.schema.json").read_text()
    assert published == json_schema_text(), (
        "regenerate it: python -m mlat.request_format > docs/request.schema.json"
    )


def test_format_doc_names_every_top_level_field() -> None:
    doc = (ROOT / "docs" / "request-format.md").read_text()
    schema = json.loads(json_schema_text())
    missing = [name for name in schema["properties"] if f"`{name}`" not in doc]
    assert missing == []

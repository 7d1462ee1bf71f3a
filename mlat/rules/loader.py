"""Read and check the rule tables. Loaded once per process and cached."""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pydantic import ValidationError

from mlat.rules.providers import Provider, load_providers
from mlat.rules.schema import InstrumentCatalogue, JointTeamFile, StateTable

DATA_DIR = Path(__file__).parent / "data"
STATES_DIR = DATA_DIR / "states"
INSTRUMENTS_DIR = DATA_DIR / "instruments"
JOINT_TEAMS_FILE = DATA_DIR / "joint_teams.toml"


class RuleTableError(ValueError):
    """A rule table that does not parse or does not match the schema."""


@dataclass(frozen=True)
class RuleBook:
    states: dict[str, StateTable]
    instruments: InstrumentCatalogue
    providers: dict[str, Provider] = field(default_factory=dict)
    joint_teams: JointTeamFile | None = None
    """the frameworks a joint investigation team may rest on"""

    def state(self, code: str) -> StateTable | None:
        return self.states.get(code.upper())


def load_state_file(path: Path) -> StateTable:
    try:
        with path.open("rb") as fh:
            table = StateTable.model_validate(tomllib.load(fh))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise RuleTableError(f"{path.name}: {exc}") from exc
    if path.stem.upper() != table.state:
        raise RuleTableError(f"{path.name}: file name does not match state {table.state}")
    return table


def load_joint_teams(path: Path = JOINT_TEAMS_FILE) -> JointTeamFile:
    try:
        with path.open("rb") as fh:
            return JointTeamFile.model_validate(tomllib.load(fh))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise RuleTableError(f"{path.name}: {exc}") from exc


def load_instruments(directory: Path = INSTRUMENTS_DIR) -> InstrumentCatalogue:
    """The catalogue from every file of the folder: each holds the sources and the
    instruments of one family (the Council of Europe's, the UN's, the bilateral treaties);
    a source or instrument key appears in one file only."""
    merged: dict[str, dict[str, object]] = {"sources": {}, "instruments": {}}
    for path in sorted(directory.glob("*.toml")):
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise RuleTableError(f"{path.name}: {exc}") from exc
        unknown = set(data) - set(merged)
        if unknown:
            raise RuleTableError(f"{path.name}: unknown tables {sorted(unknown)}")
        for part, entries in data.items():
            for key, value in entries.items():
                if key in merged[part]:
                    raise RuleTableError(f"{path.name}: {part}.{key} is also in another file")
                merged[part][key] = value
    try:
        return InstrumentCatalogue.model_validate(merged)
    except ValidationError as exc:
        raise RuleTableError(f"{directory.name}: {exc}") from exc


def load_rulebook(data_dir: Path = DATA_DIR) -> RuleBook:
    states = {}
    for path in sorted((data_dir / "states").glob("*.toml")):
        table = load_state_file(path)
        states[table.state] = table
    return RuleBook(
        states=states,
        instruments=load_instruments(data_dir / "instruments"),
        providers=load_providers(data_dir / "providers"),
        joint_teams=load_joint_teams(data_dir / JOINT_TEAMS_FILE.name),
    )


@cache
def rulebook() -> RuleBook:
    """The packaged rule tables, read once."""
    return load_rulebook()


if __name__ == "__main__":  # pragma: no cover - a quick check for data editors
    for arg in sys.argv[1:]:
        p = Path(arg)
        loaded = load_instruments(p) if p.is_dir() else load_state_file(p)
        print(f"{p.name}: ok")

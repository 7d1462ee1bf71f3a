"""A rule's address in the tables, and the rule found again from it.

A state table's rule is ``<state>:<path>``, its path as ``StateTable.rules()`` gives it
(``GB:measures.stored_content``, ``GB:channels[0]``). An instrument of the catalogue is
``catalogue:<slug>`` and one party's entry ``catalogue:<slug>:parties:<state>``. The
address is carried by each citation, so that a person can report the rule they see. A
fact of the provider directory is ``provider:<slug>:<path>`` (``provider:meta:preservation``),
and a framework of joint investigation teams ``joint_teams:frameworks.<key>``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mlat.rules.loader import RuleBook
from mlat.rules.schema import Instrument, Party, Ruled, Source, StateTable

CATALOGUE = "catalogue"
PROVIDER = "provider"
JOINT_TEAMS = "joint_teams"
HIDDEN_FIELDS = {"cite", "verified_on", "entered_on", "locator", "quote", "note", "parties"}


@dataclass(frozen=True)
class RuleAt:
    """A rule found from its address: where it is, what it says and its source."""

    ref: str
    table: str  # the state's code, "catalogue", or "provider:<slug>"
    path: str
    says: dict[str, str | bool]  # the rule's facts, field by field
    note: str
    source: Source
    verified_on: dt.date | None


def state_ref(table: StateTable, path: str) -> str:
    return f"{table.state}:{path}"


def path_of(table: StateTable, rule: Ruled) -> str:
    """The path of a rule of the table (the rule itself, not an equal one)."""
    return next(path for path, found in table.rules() if found is rule)


def catalogue_ref(slug: str, party: str | None = None) -> str:
    return f"{CATALOGUE}:{slug}" + (f":parties:{party}" if party else "")


def provider_ref(slug: str, path: str) -> str:
    return f"{PROVIDER}:{slug}:{path}"


def _facts(rule: Ruled | Party) -> dict[str, str | bool]:
    """The rule's fields other than its provenance, named for reading; yes-or-no facts
    stay booleans, for the page to word."""
    values = rule.model_dump(mode="json", exclude=HIDDEN_FIELDS, exclude_defaults=True)
    facts: dict[str, str | bool] = {}
    for name, value in values.items():
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        facts[name.replace("_", " ").capitalize()] = (
            value if isinstance(value, bool) else str(value)
        )
    return facts


def _in_catalogue(book: RuleBook, ref: str, rest: str) -> RuleAt | None:
    slug, _sep, party_part = rest.partition(":parties:")
    inst: Instrument | None = book.instruments.instruments.get(slug)
    if inst is None:
        return None
    sources = book.instruments.sources
    if not party_part:
        return RuleAt(ref, CATALOGUE, slug, {"Name": inst.name, **_facts(inst)}, inst.note,
                      sources[inst.cite], inst.verified_on)  # fmt: skip
    party = next((p for p in inst.parties if p.state == party_part), None)
    if party is None:
        return None
    verified_on = party.verified_on
    return RuleAt(ref, CATALOGUE, f"{slug}.parties.{party.state}",
                  {"Instrument": inst.name, **_facts(party)}, party.note,
                  sources[party.cite or inst.cite], verified_on)  # fmt: skip


def rule_at(book: RuleBook, ref: str) -> RuleAt | None:
    """The rule at ``ref``, or None when no rule is there."""
    table_name, sep, rest = ref.partition(":")
    if not sep or not rest:
        return None
    if table_name == CATALOGUE:
        return _in_catalogue(book, ref, rest)
    if table_name == PROVIDER:
        slug, _sep, path = rest.partition(":")
        provider = book.providers.get(slug)
        fact = dict(provider.rules()).get(path) if provider else None
        if provider is None or fact is None:
            return None
        return RuleAt(ref, f"{PROVIDER}:{slug}", path, _facts(fact), fact.note,
                      provider.sources[fact.cite], fact.verified_on)  # fmt: skip
    if table_name == JOINT_TEAMS:
        frameworks = book.joint_teams
        found = dict(frameworks.rules()).get(rest) if frameworks else None
        if frameworks is None or found is None:
            return None
        return RuleAt(ref, JOINT_TEAMS, rest, _facts(found), found.note,
                      frameworks.sources[found.cite], found.verified_on)  # fmt: skip
    table = book.states.get(table_name)  # exact: "gb:…" is not an address
    rule = dict(table.rules()).get(rest) if table else None
    if table is None or rule is None:
        return None
    return RuleAt(ref, table.state, rest, _facts(rule), rule.note, table.sources[rule.cite],
                  rule.verified_on)  # fmt: skip

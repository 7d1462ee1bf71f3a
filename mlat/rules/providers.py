"""The directory of online service providers: which legal entity answers for each service
and user region, how to ask it, what it discloses to a foreign authority without a
request for mutual legal assistance, how long it preserves and keeps data, and what
identifiers it can search.

One TOML file per provider under ``rules/data/providers``, checked against this schema and
carrying the same provenance as the rule tables (``mlat.rules.schema``): every fact cites
a source of the file's ``[sources]``, says where in it the fact stands and quotes it, and
is verified only when a person read it in a primary source (the provider's own
law-enforcement guidelines or transparency report, or a law or official page). Unknown is
left empty, never guessed.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator

from mlat.request_format import IdentifierKind
from mlat.rules.schema import ISO_STATE, Ruled, RuleFile

PROVIDERS_DIR = Path(__file__).parent / "data" / "providers"
SLUG = r"^[a-z0-9][a-z0-9-]*$"
DOMAIN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"

# What a provider gives a foreign authority that asks it directly, without a request for
# mutual legal assistance: nothing, subscriber information only, or non-content data
# (subscriber information and traffic data such as IP logs).
ForeignDisclosure = Literal["none", "subscriber", "non_content"]
DataCategory = Literal["subscriber", "ip_logs", "content", "deleted_content", "other"]


class Entity(Ruled):
    """The legal entity that answers for some services to some users, and the state whose
    law governs its disclosure."""

    name: str = Field(min_length=2)
    services: list[str] = Field(default_factory=list, description="empty: all the services")
    users: str = Field(default="", description="the users it serves, e.g. 'EU and EEA users'")
    state: str | None = Field(
        default=None, pattern=ISO_STATE, description="none: no source read says where"
    )


class LawEnforcementContact(Ruled):
    portal: str = Field(default="", description="the law-enforcement request portal's URL")
    email: str = ""
    address: str = ""
    guidelines: str = Field(default="", description="URL of its law-enforcement guidelines")


class Disclosure(Ruled):
    foreign_without_mla: ForeignDisclosure | None = Field(default=None, description="none: unknown")
    from_states: list[str] = Field(
        default_factory=list,
        description="the states whose authorities it answers this way (ISO codes); empty: any",
    )
    conditions: str = ""
    content_needs_mla: bool | None = None
    produces_content: bool | None = Field(
        default=None,
        description="false: the provider says it does not produce the content of "
        "communications, by any channel (end-to-end encryption, no records kept)",
    )

    @field_validator("from_states")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        wrong = [code for code in value if re.fullmatch(ISO_STATE, code) is None]
        if wrong:
            raise ValueError(f"not ISO state codes: {wrong}")
        return value


class Emergency(Ruled):
    available: bool | None = None
    criteria: str = ""
    channel: str = ""


class Preservation(Ruled):
    available: bool | None = None
    days: int | None = Field(default=None, ge=1)
    extendable: bool | None = None
    how_to_extend: str = ""


class Retention(Ruled):
    category: DataCategory
    period: str = Field(min_length=1, description="as the provider puts it")
    days: int | None = Field(default=None, ge=0, description="the period in days, where fixed")


class IdentifierRule(Ruled):
    """An identifier the provider can search, in the form it needs."""

    kind: IdentifierKind
    format: str = Field(min_length=3, description="e.g. 'the numeric user ID'")


class Languages(Ruled):
    accepted: list[str] = Field(default_factory=list, description="ISO 639-1 codes")


class Notification(Ruled):
    notifies_users: bool | None = None
    how_to_delay: str = ""


class Transparency(Ruled):
    period: str = Field(min_length=2, description="the reporting period, e.g. 'H2 2024'")
    figures: str = Field(min_length=2, description="the figures as the report gives them")
    url: str = ""


class Provider(RuleFile):
    slug: str = Field(pattern=SLUG)
    name: str = Field(min_length=2)
    services: list[str] = Field(min_length=1)
    domains: list[str] = Field(
        default_factory=list, description="domains that point to the provider, e.g. gmail.com"
    )
    entities: list[Entity] = Field(min_length=1)
    law_enforcement: LawEnforcementContact
    disclosure: Disclosure
    emergency: Emergency
    preservation: Preservation
    retention: list[Retention] = Field(default_factory=list)
    identifiers: list[IdentifierRule] = Field(default_factory=list)
    languages: Languages | None = None
    notification: Notification | None = None
    transparency: Transparency | None = None

    @model_validator(mode="after")
    def _domains(self) -> Provider:
        for domain in self.domains:
            if not _is_domain(domain):
                raise ValueError(f"domains: {domain!r} is not a domain name")
        return self


def _is_domain(value: str) -> bool:
    return re.fullmatch(DOMAIN, value) is not None


class ProviderFileError(ValueError):
    """A provider file that does not parse or does not match the schema."""


def load_provider_file(path: Path) -> Provider:
    try:
        with path.open("rb") as fh:
            provider = Provider.model_validate(tomllib.load(fh))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ProviderFileError(f"{path.name}: {exc}") from exc
    if path.stem != provider.slug:
        raise ProviderFileError(f"{path.name}: file name does not match slug {provider.slug}")
    return provider


def load_providers(directory: Path = PROVIDERS_DIR) -> dict[str, Provider]:
    providers = {}
    for path in sorted(directory.glob("*.toml")):
        provider = load_provider_file(path)
        providers[provider.slug] = provider
    domains: dict[str, str] = {}
    for provider in providers.values():
        for domain in provider.domains:
            if domain in domains:
                raise ProviderFileError(
                    f"{provider.slug}.toml: domain {domain} is also {domains[domain]}'s"
                )
            domains[domain] = provider.slug
    return providers


def provider_for_domain(domain: str, providers: Mapping[str, Provider]) -> Provider | None:
    """The provider a domain, or any domain it is a subdomain of, points to."""
    labels = domain.lower().strip(".").split(".")
    for i in range(len(labels) - 1):
        candidate = ".".join(labels[i:])
        for provider in providers.values():
            if candidate in provider.domains:
                return provider
    return None


def provider_named(name: str, providers: Mapping[str, Provider]) -> Provider | None:
    """The provider an officer named: by its name, one of its services or legal entities,
    or its slug, whatever the case."""
    wanted = " ".join(name.split()).casefold()
    if not wanted:
        return None
    for provider in providers.values():
        names = {
            provider.slug,
            provider.name,
            *provider.services,
            *(e.name for e in provider.entities),
        }
        if wanted in {n.casefold() for n in names}:
            return provider
    return None


def identifier_domain(kind: str, value: str) -> str | None:
    """The domain an e-mail address, a URL or a domain name points to."""
    value = value.strip()
    if kind == "email" and "@" in value:
        return value.rpartition("@")[2].lower() or None
    if kind == "url":
        host = urlsplit(value if "://" in value else f"https://{value}").hostname
        return host.lower() if host else None
    if kind == "domain":
        return value.lower().strip(".") or None
    return None

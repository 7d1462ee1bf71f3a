"""Evidence bundles: an ASiC-E container (ETSI EN 319 162-1) whose manifest lists every
file with its SHA-256 and carries a detached CAdES signature, and the check of such a
bundle, which needs nothing but the bundle and the certificates the reader trusts.

The container is a ZIP file:

- ``mimetype``, first and uncompressed: ``application/vnd.etsi.asic-e+zip``;
- the files: ``evidence/…`` (as received, their digest in their name), ``packet/…``
  (the signed request), ``records/receipts.json`` and ``records/custody.json``;
- ``META-INF/ASiCManifest.xml``: one ``DataObjectReference`` per file, with its SHA-256;
- ``META-INF/signature001.p7s``: the CAdES signature (CMS SignedData, detached) over
  the manifest, made with the unit's seal.

Both functions are pure: of a file's bytes and a credential, of a bundle and trust
anchors. Files are streamed in and out, never held whole in memory.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any
from xml.etree import ElementTree

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext

from mlat.messages import N_
from mlat.packets.signature import Credential, TokenKey, outside_loop, signer_of

MIMETYPE = "application/vnd.etsi.asic-e+zip"
MANIFEST = "META-INF/ASiCManifest.xml"
SIGNATURE = "META-INF/signature001.p7s"
CUSTODY = "records/custody.json"
RECEIPTS = "records/receipts.json"
ASIC = "http://uri.etsi.org/02918/v1.2.1#"
DS = "http://www.w3.org/2000/09/xmldsig#"
SHA256_METHOD = "http://www.w3.org/2001/04/xmlenc#sha256"
MAX_RECORD = 64 * 1024**2
"""the largest manifest, signature or record read into memory when a bundle is checked"""
PIECE = 1024 * 1024

ElementTree.register_namespace("asic", ASIC)
ElementTree.register_namespace("ds", DS)


class BundleError(ValueError):
    """A bundle cannot be made: a file's name is not one a bundle can hold."""


@dataclass(frozen=True)
class Member:
    """A file to put in a bundle: its path in the container, its bytes as they come,
    its media type, and whether to compress it (evidence is stored as it is)."""

    name: str
    chunks: Iterable[bytes]
    mimetype: str = "application/octet-stream"
    compress: bool = False


@dataclass(frozen=True)
class Listed:
    """A file as the manifest lists it."""

    name: str
    mimetype: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Written:
    """What a bundle holds: its files as listed, and the signed manifest's SHA-256."""

    files: list[Listed]
    manifest_sha256: str


def _safe(name: str) -> bool:
    parts = name.split("/")
    return (
        bool(name)
        and not name.startswith("/")
        and "\\" not in name
        and all(part not in ("", ".", "..") for part in parts)
        and parts[0] != "META-INF"
        and name != "mimetype"
    )


def manifest_xml(listed: Iterable[Listed]) -> bytes:
    root = ElementTree.Element(f"{{{ASIC}}}ASiCManifest")
    ElementTree.SubElement(
        root, f"{{{ASIC}}}SigReference", URI=SIGNATURE, MimeType="application/pkcs7-signature"
    )
    for entry in listed:
        ref = ElementTree.SubElement(
            root, f"{{{ASIC}}}DataObjectReference", URI=entry.name, MimeType=entry.mimetype
        )
        ElementTree.SubElement(ref, f"{{{DS}}}DigestMethod", Algorithm=SHA256_METHOD)
        value = ElementTree.SubElement(ref, f"{{{DS}}}DigestValue")
        value.text = base64.b64encode(bytes.fromhex(entry.sha256)).decode()
    ElementTree.indent(root)
    return bytes(ElementTree.tostring(root, encoding="UTF-8", xml_declaration=True))


def sign_manifest(
    manifest: bytes, credential: Credential | TokenKey, *, timestamp_url: str = ""
) -> bytes:
    """A detached CAdES signature (CMS SignedData, DER) over the manifest."""
    from pyhanko.sign.timestamps import HTTPTimeStamper

    def sign() -> bytes:
        with signer_of(credential) as signer:
            stamper = HTTPTimeStamper(timestamp_url) if timestamp_url else None
            signed = asyncio.run(
                signer.async_sign_general_data(
                    manifest, "sha256", detached=True, use_cades=True, timestamper=stamper
                )
            )
            return bytes(signed.dump())

    return outside_loop(sign)


def write_bundle(
    out: IO[bytes],
    members: Iterable[Member],
    credential: Credential | TokenKey,
    *,
    when: dt.datetime,
    timestamp_url: str = "",
) -> Written:
    """Write the bundle to ``out``: the files, hashed as they pass, then the manifest
    and its signature."""
    stamp = when.timetuple()[:6]
    listed: list[Listed] = []
    seen: set[str] = set()
    with zipfile.ZipFile(out, "w", allowZip64=True) as container:
        container.writestr(zipfile.ZipInfo("mimetype", stamp), MIMETYPE, zipfile.ZIP_STORED)
        for member in members:
            if not _safe(member.name) or member.name in seen:
                raise BundleError(f"a bundle cannot hold a file named {member.name!r}")
            seen.add(member.name)
            info = zipfile.ZipInfo(member.name, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED if member.compress else zipfile.ZIP_STORED
            digest, size = hashlib.sha256(), 0
            with container.open(info, "w", force_zip64=True) as target:
                for piece in member.chunks:
                    digest.update(piece)
                    size += len(piece)
                    target.write(piece)
            listed.append(Listed(member.name, member.mimetype, digest.hexdigest(), size))
        manifest = manifest_xml(listed)
        info = zipfile.ZipInfo(MANIFEST, stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        container.writestr(info, manifest)
        signature = sign_manifest(manifest, credential, timestamp_url=timestamp_url)
        container.writestr(zipfile.ZipInfo(SIGNATURE, stamp), signature, zipfile.ZIP_STORED)
    return Written(listed, hashlib.sha256(manifest).hexdigest())


# What a check can find wrong, in words; ``file`` names the file concerned.
PROBLEMS = {
    "not_bundle": N_("This is not an evidence bundle: it is not a ZIP container."),
    "too_large": N_(
        "Once unpacked, the bundle is too large to be checked on this page; check it with "
        "the command line (flask evidence verify)."
    ),
    "mimetype": N_("This is not an ASiC-E container: its first file is not “mimetype”."),
    "unsigned": N_("The bundle has no signed manifest (%(file)s is missing)."),
    "signature_damaged": N_("The signature %(file)s cannot be read."),
    "manifest_changed": N_(
        "The manifest was changed after it was signed: its signature does not match it."
    ),
    "manifest_unreadable": N_("The manifest %(file)s cannot be read."),
    "untrusted": N_(
        "The signature is intact, but its certificate does not lead to a certificate you "
        "trust: %(file)s."
    ),
    "missing": N_("%(file)s is listed in the manifest but missing from the bundle."),
    "changed": N_(
        "%(file)s was changed after the bundle was signed: its SHA-256 is not the manifest's."
    ),
    "unlisted": N_("%(file)s is in the bundle but not in the signed manifest."),
    "no_custody": N_("%(file)s has no chain of custody in the bundle's custody log."),
    "custody_mismatch": N_(
        "The custody log does not match %(file)s: a SHA-256 it records is not the file's."
    ),
    "custody_unreadable": N_("The custody log %(file)s cannot be read."),
}


@dataclass(frozen=True)
class Problem:
    kind: str
    file: str = ""

    def words(self, gettext: Callable[..., str] | None = None) -> str:
        """The problem in words: translated by ``gettext`` when given, else in English."""
        text = PROBLEMS[self.kind]
        return gettext(text, file=self.file) if gettext else text % {"file": self.file}


@dataclass(frozen=True)
class CheckedFile:
    name: str
    sha256: str
    size: int
    ok: bool


@dataclass(frozen=True)
class BundleCheck:
    """What the check of a bundle found."""

    signer: str = ""
    signed_at: dt.datetime | None = None
    certificate_sha256: str = ""
    files: list[CheckedFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems and bool(self.files)


def _read_small(container: zipfile.ZipFile, name: str) -> bytes:
    with container.open(name) as source:
        data = source.read(MAX_RECORD + 1)
    if len(data) > MAX_RECORD:
        raise ValueError(f"{name} is too large")
    return data


def _digest(container: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with container.open(name) as source:
        while piece := source.read(PIECE):
            digest.update(piece)
            size += len(piece)
    return digest.hexdigest(), size


def _manifest(data: bytes) -> list[tuple[str, str]]:
    """(name, hex SHA-256) of each data object the manifest lists."""
    root = ElementTree.fromstring(data)
    if root.tag != f"{{{ASIC}}}ASiCManifest":
        raise ValueError("not an ASiC manifest")
    found = []
    for ref in root.findall(f"{{{ASIC}}}DataObjectReference"):
        method = ref.find(f"{{{DS}}}DigestMethod")
        value = ref.find(f"{{{DS}}}DigestValue")
        if method is None or value is None or method.get("Algorithm") != SHA256_METHOD:
            raise ValueError("a reference without a SHA-256")
        found.append((ref.get("URI", ""), base64.b64decode(value.text or "").hex()))
    return found


def _signature(manifest: bytes, signature: bytes, trust: tuple[bytes, ...]) -> Any:
    signed_data = cms.ContentInfo.load(signature)["content"]
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(der) for der in trust], allow_fetching=False
    )
    return outside_loop(
        lambda: asyncio.run(async_validate_detached_cms(manifest, signed_data, context))
    )


def check_bundle(
    source: IO[bytes], trust: tuple[bytes, ...], *, max_unpacked: int | None = None
) -> BundleCheck:
    """Check a bundle: its manifest's signature (intact, by a certificate leading to one
    of ``trust``, DER), every file's SHA-256 against the manifest, no file outside it,
    and that the custody log records each evidence file's digest. A bundle whose files
    come to more than ``max_unpacked`` bytes is not read (a ZIP file can unpack to far
    more than it weighs: a member is never read past the size the ZIP file states)."""
    try:
        container = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError):
        return BundleCheck(problems=[Problem("not_bundle")])
    with container:
        names = container.namelist()
        problems: list[Problem] = []
        unpacked = sum(info.file_size for info in container.infolist())
        if max_unpacked is not None and unpacked > max_unpacked:
            return BundleCheck(problems=[Problem("too_large")])
        if (
            not names
            or names[0] != "mimetype"
            or _safe_read(container, "mimetype") != MIMETYPE.encode()
        ):
            return BundleCheck(problems=[Problem("mimetype")])
        for needed in (MANIFEST, SIGNATURE):
            if needed not in names:
                return BundleCheck(problems=[Problem("unsigned", needed)])
        manifest = _safe_read(container, MANIFEST)
        signature = _safe_read(container, SIGNATURE)
        if manifest is None:
            return BundleCheck(problems=[Problem("manifest_unreadable", MANIFEST)])
        if signature is None:
            return BundleCheck(problems=[Problem("signature_damaged", SIGNATURE)])
        signer, signed_at, cert_sha256 = "", None, ""
        try:
            status = _signature(manifest, signature, trust)
        except Exception:  # asn1crypto and pyHanko raise many kinds on damaged input
            problems.append(Problem("signature_damaged", SIGNATURE))
        else:
            cert = status.signing_cert
            signer = _name_of(cert) if cert is not None else ""
            cert_sha256 = cert.sha256.hex() if cert is not None else ""
            signed_at = status.signer_reported_dt
            if not (status.intact and status.valid):
                problems.append(Problem("manifest_changed", MANIFEST))
            elif not status.trusted:
                problems.append(Problem("untrusted", signer))
        try:
            listed = _manifest(manifest)
        except (ElementTree.ParseError, ValueError):
            problems.append(Problem("manifest_unreadable", MANIFEST))
            return BundleCheck(signer, signed_at, cert_sha256, [], problems)
        files, digests = _files(container, listed, problems)
        expected = {name for name, _ in listed} | {"mimetype", MANIFEST, SIGNATURE}
        problems += [Problem("unlisted", n) for n in names if n not in expected]
        problems += _custody(container, digests)
        return BundleCheck(signer, signed_at, cert_sha256, files, problems)


def _name_of(cert: asn1_x509.Certificate) -> str:
    """Who a certificate names: its common name, and its organisation and country."""
    subject = cert.subject.native
    parts = [subject.get("organization_name", ""), subject.get("country_name", "")]
    where = ", ".join(str(p) for p in parts if p)
    name = str(subject.get("common_name", "")) or cert.subject.human_friendly
    return f"{name} ({where})" if where else name


def _safe_read(container: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        return _read_small(container, name)
    except (KeyError, ValueError, zipfile.BadZipFile, zlib.error, OSError, EOFError):
        return None


def _files(
    container: zipfile.ZipFile, listed: list[tuple[str, str]], problems: list[Problem]
) -> tuple[list[CheckedFile], dict[str, str]]:
    files, digests = [], {}
    present = set(container.namelist())
    for name, expected in listed:
        if name not in present:
            problems.append(Problem("missing", name))
            files.append(CheckedFile(name, expected, 0, False))
            continue
        try:
            actual, size = _digest(container, name)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError):  # its CRC or data broken
            actual, size = "", 0
        ok = actual == expected
        if not ok:
            problems.append(Problem("changed", name))
        else:
            digests[name] = actual
        files.append(CheckedFile(name, actual or expected, size, ok))
    return files, digests


def _custody(container: zipfile.ZipFile, digests: dict[str, str]) -> list[Problem]:
    """The custody log's items match the evidence files: each evidence file has its
    chain, and every event of it records the file's digest."""
    if CUSTODY not in digests:  # missing, changed or unlisted: already said
        return [] if CUSTODY in container.namelist() else [Problem("missing", CUSTODY)]
    try:
        log = json.loads(_read_small(container, CUSTODY))
        items = {str(i["file"]): i for i in log["items"]}
    except (ValueError, KeyError, TypeError):
        return [Problem("custody_unreadable", CUSTODY)]
    problems = []
    for name, sha256 in digests.items():
        if not name.startswith("evidence/"):
            continue
        item = items.get(name)
        if item is None:
            problems.append(Problem("no_custody", name))
            continue
        recorded = {str(item.get("sha256"))} | {
            str(e.get("sha256")) for e in item.get("events", [])
        }
        if recorded != {sha256} or not item.get("events"):
            problems.append(Problem("custody_mismatch", name))
    return problems


def certificates_of(data: bytes) -> tuple[bytes, ...]:
    """The certificates in a PEM file (one or more) or a DER one, as DER; ``ValueError``
    when it is neither."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    if data.lstrip().startswith(b"-----BEGIN"):
        found = x509.load_pem_x509_certificates(data)
        return tuple(c.public_bytes(Encoding.DER) for c in found)
    return (x509.load_der_x509_certificate(data).public_bytes(Encoding.DER),)

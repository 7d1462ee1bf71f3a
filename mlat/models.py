"""Database tables. Business logic lives in ``mlat.services``."""

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

MAX_ID = 2**31 - 1
"""The largest id both engines hold in an integer column (PostgreSQL's ``integer``): a
larger one in a URL, form or API call finds nothing, and never reaches the database."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Role(StrEnum):
    """What a user may do. ``admin`` administers the users and settings of the user's own
    unit; ``installation_admin`` creates units and administers every unit's users and
    settings (its value is short: ``user_role.role`` holds 16 characters)."""

    officer = "officer"
    reviewer = "reviewer"
    prosecutor = "prosecutor"
    admin = "admin"
    installation_admin = "install_admin"


class RequestStatus(StrEnum):
    draft = "draft"
    in_review = "in_review"
    returned = "returned"
    approved = "approved"
    signed = "signed"
    transmitted = "transmitted"
    acknowledged = "acknowledged"
    partially_executed = "partially_executed"
    executed = "executed"
    refused = "refused"
    withdrawn = "withdrawn"
    closed = "closed"


class WorkflowAction(StrEnum):
    """A step of a request's history: the actions of the workflow table (``mlat.workflow``),
    an edit after approval, which sends the request back to review, and an edit during
    review, which the reviewers are told of."""

    submit = "submit"
    approve = "approve"
    return_ = "return"
    sign = "sign"
    transmit = "transmit"
    acknowledge = "acknowledge"
    execute_partly = "execute_partly"
    execute = "execute"
    refuse = "refuse"
    withdraw = "withdraw"
    close = "close"
    edit_after_approval = "edit_after_approval"
    edit_in_review = "edit_in_review"


class NotificationKind(StrEnum):
    review_needed = "review_needed"
    case_changed = "case_changed"
    """a request of a case the user works on moved on (``case_id`` names the case)"""
    changed_in_review = "changed_in_review"
    returned = "returned"
    approved = "approved"
    signed = "signed"
    preservation_lapsing = "preservation_lapsing"
    preservation_urgent = "preservation_urgent"
    rule_reported = "rule_reported"
    # An administrator changed the user's account (``actor_id`` says who).
    password_reset = "password_reset"
    two_factor_reset = "two_factor_reset"
    access_changed = "access_changed"
    deactivated = "deactivated"


class PacketKind(StrEnum):
    """The copies of a request's packet: the signed packet, a draft, the internal copy,
    and the packet as it will be signed, rendered while a prosecutor reads the request
    so that signing only adds the signature."""

    signed = "signed"
    draft = "draft"
    internal = "internal"
    ready = "ready"


class Unit(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    code: str = Field(max_length=8, unique=True, description="prefix of reference numbers")
    state: str = Field(max_length=2, description="ISO 3166 alpha-2 code of the unit's state")
    timezone: str = Field(default="UTC", max_length=64)
    separate_duties: bool = Field(
        default=True,
        description="who approves a request does not sign it; who drafted it does neither",
    )
    created_at: dt.datetime = Field(default_factory=utcnow)

    users: list["User"] = Relationship(back_populates="unit")


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"

    user_id: int | None = Field(
        default=None, foreign_key="user.id", primary_key=True, ondelete="CASCADE"
    )
    role: Role = Field(primary_key=True, sa_type=String(16))


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=256)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True, nullable=False)
    active: bool = Field(default=True)
    locale: str = Field(
        default="", max_length=8, description="the interface language chosen; empty: none yet"
    )
    session_epoch: int = Field(
        default=0, description="raised to end every session of the user (password change)"
    )
    password_must_change: bool = Field(
        default=False, description="set by an administrator's password: the user chooses their own"
    )
    totp_sealed: str | None = Field(
        default=None,
        max_length=255,
        description="the base32 TOTP secret once two-factor is set up, sealed (mlat.crypto)",
    )
    totp_pending: str | None = Field(
        default=None, max_length=255, description="the secret being set up, sealed"
    )
    totp_pending_at: dt.datetime | None = Field(
        default=None, description="when the secret being set up was made; it expires"
    )
    totp_last_step: int | None = Field(
        default=None, description="time step of the last accepted code: each code works once"
    )
    created_at: dt.datetime = Field(default_factory=utcnow)

    unit: Unit = Relationship(back_populates="users")
    role_rows: list["UserRole"] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "lazy": "selectin"}
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def has_authenticator(self) -> bool:
        """Whether two-factor authentication is set up (``mlat.services.twofactor``)."""
        return self.totp_sealed is not None


class ReferenceCounter(SQLModel, table=True):
    __tablename__ = "reference_counter"

    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    year: int = Field(primary_key=True)
    last: int = Field(default=0)


class MlaRequest(SQLModel, table=True):
    __tablename__ = "mla_request"
    __table_args__ = (
        UniqueConstraint("reference", name="uq_mla_request_reference"),
        Index("ix_mla_request_unit_status_updated", "unit_id", "status", "updated_at"),
        # The request list, dashboard and statistics (migration 0003).
        Index("ix_mla_request_unit_updated", "unit_id", "updated_at", "id"),
        Index("ix_mla_request_unit_created", "unit_id", "created_at", "id"),
        Index("ix_mla_request_unit_state", "unit_id", "requested_state", "id"),
        Index(
            "ix_mla_request_unit_state_approval",
            "unit_id",
            "requested_state",
            "approved_at",
            "created_at",
        ),
        Index(
            "ix_mla_request_unit_state_execution",
            "unit_id",
            "requested_state",
            "executed_on",
            "transmitted_on",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=32)
    unit_id: int = Field(foreign_key="unit.id")
    owner_id: int = Field(foreign_key="user.id", index=True)
    requested_state: str = Field(max_length=2, index=True)
    title: str = Field(max_length=200)
    status: RequestStatus = Field(default=RequestStatus.draft, sa_type=String(24))
    content: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False),
        description="the request in the documented request format (docs/request-format.md)",
    )
    version: int = Field(default=1, description="raised on every save; stale saves are refused")
    content_digest: str = Field(default="", max_length=64, description="SHA-256 of the content")
    approved_digest: str | None = Field(
        default=None, max_length=64, description="digest of the content the reviewer approved"
    )
    # Copied out of the content on every save, so that lists, search and clocks are
    # indexed queries rather than scans of JSON.
    case_number: str = Field(default="", max_length=500, index=True)
    case_id: int | None = Field(
        default=None, index=True,
        description="the case_file.id of the investigation the request belongs to (no "
        "foreign key: see migration 0025)",
    )  # fmt: skip
    deadline: dt.date | None = Field(default=None)
    preservation_expires_on: dt.date | None = Field(default=None, index=True)
    # Set by the workflow as the request moves on.
    submitted_at: dt.datetime | None = Field(default=None)
    approved_at: dt.datetime | None = Field(default=None)
    signed_at: dt.datetime | None = Field(default=None)
    signed_by_id: int | None = Field(
        default=None,
        description="the user.id of the prosecutor whose account signed (no foreign key: "
        "see migration 0010); the packet's signature block names them",
    )
    transmitted_on: dt.date | None = Field(default=None, index=True)
    transmission_channel: str = Field(default="", max_length=32)
    foreign_reference: str = Field(default="", max_length=100)
    executed_on: dt.date | None = Field(default=None)
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class RequestEditor(SQLModel, table=True):
    """Everyone who drafted or changed a request: the four-eyes rule reads this."""

    __tablename__ = "request_editor"

    request_id: int = Field(foreign_key="mla_request.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", primary_key=True)


class RequestTerm(SQLModel, table=True):
    """Searchable values of a request (identifiers, person names, measures), normalised
    and rewritten on every save, so that search and related requests use an index."""

    __tablename__ = "request_term"
    __table_args__ = (Index("ix_request_term_kind_value", "kind", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="mla_request.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16, description="identifier, person or measure")
    value: str = Field(max_length=500)


class RequestEvent(SQLModel, table=True):
    """The history of a request: one row per workflow step, in order."""

    __tablename__ = "request_event"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="mla_request.id", index=True, ondelete="CASCADE")
    at: dt.datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: WorkflowAction = Field(sa_type=String(32))
    from_status: str = Field(max_length=24)
    to_status: str = Field(max_length=24)
    comment: str = Field(default="", sa_type=Text)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    content_digest: str = Field(default="", max_length=64)
    snapshot: dict[str, Any] | None = Field(
        default=None,
        sa_column=Column(JSON, nullable=True),
        description="the content as reviewed, kept on review events to show what changed",
    )


class ReviewComment(SQLModel, table=True):
    """A reviewer's comment on one part of a returned request."""

    __tablename__ = "review_comment"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="mla_request.id", index=True, ondelete="CASCADE")
    event_id: int = Field(foreign_key="request_event.id", ondelete="CASCADE")
    author_id: int = Field(foreign_key="user.id")
    field: str = Field(max_length=100, description="section or field path, e.g. facts")
    body: str = Field(sa_type=Text)
    created_at: dt.datetime = Field(default_factory=utcnow)


class RuleReportStatus(StrEnum):
    open = "open"
    resolved = "resolved"


class RuleReport(SQLModel, table=True):
    """A user's report that a rule of the tables is wrong, for the unit's administrators.

    The rule's source is copied as it stood when reported, so the report still reads
    right once the tables have been corrected."""

    __tablename__ = "rule_report"
    __table_args__ = (Index("ix_rule_report_unit_status", "unit_id", "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    rule_ref: str = Field(max_length=200, description="the rule's address (mlat.rules.refs)")
    source_title: str = Field(max_length=500)
    source_url: str = Field(max_length=2000)
    source_verified_on: dt.date | None = Field(default=None)
    reporter_id: int = Field(foreign_key="user.id")
    unit_id: int = Field(foreign_key="unit.id")
    comment: str = Field(sa_type=Text)
    created_at: dt.datetime = Field(default_factory=utcnow)
    status: RuleReportStatus = Field(default=RuleReportStatus.open, sa_type=String(16))
    resolved_by: int | None = Field(default=None, foreign_key="user.id")
    resolved_at: dt.datetime | None = Field(default=None)
    resolution: str = Field(default="", sa_type=Text)


class Notification(SQLModel, table=True):
    """Something a user must know: about a request, about a reported rule, or about a
    change an administrator made to their account."""

    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    request_id: int | None = Field(default=None, foreign_key="mla_request.id", ondelete="CASCADE")
    rule_report_id: int | None = Field(
        default=None, foreign_key="rule_report.id", ondelete="CASCADE"
    )
    case_id: int | None = Field(default=None, foreign_key="case_file.id", ondelete="CASCADE")
    kind: NotificationKind = Field(sa_type=String(32))
    actor_id: int | None = Field(
        default=None,
        description="the user.id of the administrator who changed the user's account (no "
        "foreign key: see migration 0019)",
    )
    created_at: dt.datetime = Field(default_factory=utcnow)
    read_at: dt.datetime | None = Field(default=None)
    emailed_at: dt.datetime | None = Field(default=None)


class StoredFile(SQLModel, table=True):
    """Bytes kept by the app (uploads, signed packets), addressed by a server-made id.

    Kept in the database so that every instance sees the same files and a database
    backup holds them.
    """

    __tablename__ = "stored_file"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    size: int
    media_type: str = Field(max_length=100)
    created_at: dt.datetime = Field(default_factory=utcnow)


class FileContent(SQLModel, table=True):
    """The bytes of a stored file, in a table of their own so that lists never load them;
    encrypted, with the key of this file wrapped by a configured key (``mlat.crypto``,
    read and written by ``mlat.services.files``)."""

    __tablename__ = "file_content"

    file_id: int = Field(foreign_key="stored_file.id", primary_key=True, ondelete="CASCADE")
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False), description="the ciphertext")
    key_id: str = Field(
        default="",
        max_length=32,
        description="the configured key that wraps data_key; empty: data is the plain bytes, "
        "stored before migration 0017 and not sealed since",
    )
    data_key: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))
    nonce: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))


class RequestAnnex(SQLModel, table=True):
    __tablename__ = "request_annex"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="mla_request.id", index=True, ondelete="CASCADE")
    file_id: int = Field(foreign_key="stored_file.id")
    kind: str = Field(default="other", max_length=16)
    title: str = Field(max_length=500)
    language: str | None = Field(default=None, max_length=2)
    filename: str = Field(max_length=255, description="the name it was uploaded under")
    uploaded_by: int = Field(foreign_key="user.id")
    uploaded_at: dt.datetime = Field(default_factory=utcnow)


class Packet(SQLModel, table=True):
    """The signed request packet, rendered once and served unchanged ever after."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="mla_request.id", unique=True, ondelete="CASCADE")
    file_id: int = Field(foreign_key="stored_file.id")
    created_at: dt.datetime = Field(default_factory=utcnow)


class SigningAuthority(SQLModel, table=True):
    """A unit's demonstration certification authority, which issues its prosecutors'
    demonstration signing certificates and is trusted when a packet is verified. Real
    installations load certificates issued elsewhere (``flask signing import``)."""

    __tablename__ = "signing_authority"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", unique=True)
    certificate: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    key: bytes = Field(
        sa_column=Column(LargeBinary, nullable=False),
        description="PKCS#8, encrypted with the installation's signing secret",
    )
    created_at: dt.datetime = Field(default_factory=utcnow)


class SigningCredential(SQLModel, table=True):
    """A prosecutor's signing key and certificate: a PKCS#12 file encrypted with the
    installation's signing secret, or the label of their key on the installation's PKCS#11
    token and their certificate; the certificate's digest, subject and expiry, and the
    issuing authorities' certificates, to be shown and checked without opening it."""

    __tablename__ = "signing_credential"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", unique=True)
    pkcs12: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # empty for a token
    token_key: str = Field(
        default="", max_length=200,
        description="the label of the key on the PKCS#11 token; empty: the key is in pkcs12",
    )  # fmt: skip
    certificate: bytes = Field(
        default=b"", sa_column=Column(LargeBinary, nullable=False, server_default=""),
        description="the signer's certificate, DER, for a key on a token",
    )  # fmt: skip
    chain: bytes = Field(
        default=b"", sa_column=Column(LargeBinary, nullable=False),
        description="the issuing authorities' certificates, PEM",
    )  # fmt: skip
    certificate_sha256: str = Field(max_length=64, index=True)
    subject: str = Field(max_length=500)
    not_after: dt.datetime
    demo: bool = Field(default=False)
    created_at: dt.datetime = Field(default_factory=utcnow)


class UnitSeal(SQLModel, table=True):
    """A unit's seal: the key and certificate that sign, in the unit's name rather than
    a person's, the manifest of every evidence bundle it exports; a PKCS#12 file
    encrypted with the installation's signing secret, with the certificate's digest,
    subject and expiry to show without opening it."""

    __tablename__ = "unit_seal"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", unique=True)
    pkcs12: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    certificate: bytes = Field(
        sa_column=Column(LargeBinary, nullable=False), description="the seal's certificate, DER"
    )
    chain: bytes = Field(
        default=b"", sa_column=Column(LargeBinary, nullable=False),
        description="the issuing authorities' certificates, PEM",
    )  # fmt: skip
    certificate_sha256: str = Field(max_length=64)
    subject: str = Field(max_length=500)
    not_after: dt.datetime
    demo: bool = Field(default=False)
    created_at: dt.datetime = Field(default_factory=utcnow)


class LoginSession(SQLModel, table=True):
    """An open log-in session. The browser's signed cookie carries a random token; this
    row holds only its SHA-256, and a session whose row is gone (logout, expiry) no
    longer loads its user, whoever presents a copy of the cookie. Its start and last
    request, kept here rather than in the cookie, decide when it ends."""

    __tablename__ = "login_session"

    id: str = Field(primary_key=True, max_length=64, description="SHA-256 of the token")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    started_at: dt.datetime = Field(default_factory=utcnow, index=True)
    seen_at: dt.datetime = Field(
        default_factory=utcnow, description="the session's last request, to the minute"
    )


class ThrottleCounter(SQLModel, table=True):
    """Failed attempts at logging in, counted per client address, account or known
    device (``mlat.services.throttle``). ``version`` makes each change a compare-and-set,
    so that attempts at the same moment are counted one after the other."""

    __tablename__ = "throttle_counter"

    key: str = Field(primary_key=True, max_length=300, description="e.g. address:192.0.2.7")
    failures: int = Field(default=0)
    last_at: dt.datetime = Field(default_factory=utcnow, index=True)
    wait_until: dt.datetime = Field(default_factory=utcnow)
    version: int = Field(default=0)


class KnownDevice(SQLModel, table=True):
    """A browser a user has logged in from, known by a random token in a long-lived
    cookie; the row holds only its SHA-256. An account locked after many failed logins
    still accepts the right password and code from its known devices."""

    __tablename__ = "known_device"
    __table_args__ = (UniqueConstraint("user_id", "token_hash", name="uq_known_device"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_used_at: dt.datetime = Field(default_factory=utcnow)


class RecoveryCode(SQLModel, table=True):
    """One of a user's ten one-time recovery codes, for logging in without their phone.
    Only the code's SHA-256 is kept: a code has 125 random bits (``mlat.services.recovery``)."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    code_hash: str = Field(max_length=64, unique=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    used_at: dt.datetime | None = Field(default=None)


class AuditHead(SQLModel, table=True):
    """The newest link of the audit chain; its row lock orders concurrent appends."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0)
    hash: str = Field(default="0" * 64, max_length=64)


class AuditEntry(SQLModel, table=True):
    """An append-only, hash-chained record of who did what (see ``mlat.services.audit``)."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_at", "at"),
        Index("ix_audit_entry_object", "object_type", "object_id"),
    )

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: dt.datetime
    user_id: int | None = Field(default=None, index=True)
    unit_id: int | None = Field(default=None)
    action: str = Field(max_length=48)
    object_type: str = Field(default="", max_length=32)
    object_id: str = Field(default="", max_length=64)
    outcome: str = Field(default="success", max_length=16)
    reason: str = Field(default="", max_length=500, description="why it failed or was refused")
    details: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False, server_default="{}"),
        description="what the action was about, as data (covered by the hash when not empty)",
    )
    client_addr: str = Field(default="", max_length=64)
    prev_hash: str = Field(max_length=64)
    key_id: str = Field(
        default="",
        max_length=32,
        description="the key whose HMAC is the hash; empty: plain SHA-256, written before keys",
    )
    hash: str = Field(max_length=64)


class PacketJobStatus(StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"


class PacketJob(SQLModel, table=True):
    """A packet render off the request path (``mlat.jobs``): one row per request and kind
    (the signed packet, a draft, the internal copy), reused for each new render.

    The row is the arbiter between workers and app instances: a worker starts a render
    only by moving the row from pending to running with a fresh ``token``, and keeps the
    result only while the row still carries that token. While it renders, it refreshes
    ``heartbeat_at``; a running job whose heartbeat has stopped lost its worker, and is
    queued again or failed (``mlat.jobs.reaper``).
    """

    __tablename__ = "packet_job"
    __table_args__ = (UniqueConstraint("request_id", "kind", name="uq_packet_job_request_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="mla_request.id", ondelete="CASCADE")
    kind: PacketKind = Field(sa_type=String(16))
    basis: str = Field(
        default="", max_length=64, description="what is rendered: request version (and day)"
    )
    status: PacketJobStatus = Field(default=PacketJobStatus.pending, sa_type=String(16))
    token: str = Field(default="", max_length=32, description="the current attempt's token")
    attempts: int = Field(default=0)
    error: str = Field(default="", max_length=500, description="why the last attempt failed")
    file_id: int | None = Field(
        default=None, foreign_key="stored_file.id", description="a draft's or copy's bytes"
    )
    requested_by: int | None = Field(default=None, foreign_key="user.id")
    values_digest: str = Field(
        default="", max_length=64, description="SHA-256 of the values the file was rendered from"
    )
    queued_at: dt.datetime = Field(default_factory=utcnow)
    started_at: dt.datetime | None = Field(default=None)
    heartbeat_at: dt.datetime | None = Field(
        default=None, description="when the worker running it last said it was alive"
    )
    lost_runs: int = Field(
        default=0, description="runs whose worker stopped without a word, since last asked for"
    )
    finished_at: dt.datetime | None = Field(default=None)


class ApiToken(SQLModel, table=True):
    """A user's token for the HTTP API (``mlat.services.api_tokens``). Only the token's
    SHA-256 is kept; it acts with its user's roles and unit, within its scopes, until it
    expires or is revoked."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16, description="the token's first characters, to tell it")
    token_hash: str = Field(max_length=64, unique=True)
    scopes: str = Field(max_length=64, description="space-separated: read, write, workflow")
    allowed_addrs: str = Field(
        default="", sa_type=Text, description="space-separated networks; empty: any address"
    )
    expires_at: dt.datetime
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_used_at: dt.datetime | None = Field(default=None)
    last_used_addr: str = Field(default="", max_length=64)
    revoked_at: dt.datetime | None = Field(default=None)
    rate_window: int = Field(default=0, description="the minute (since the epoch) counted")
    rate_count: int = Field(default=0, description="calls in that minute")


class WebhookEndpoint(SQLModel, table=True):
    """Where a unit's events are sent (``mlat.services.webhooks``), signed with a secret
    of its own; the previous secret keeps signing too for a day after a rotation."""

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    include_content: bool = Field(
        default=False, description="deliveries carry the request document"
    )
    active: bool = Field(default=True)
    secret_sealed: str = Field(max_length=255, description="the signing secret, sealed")
    previous_secret_sealed: str | None = Field(default=None, max_length=255)
    previous_until: dt.datetime | None = Field(
        default=None, description="until when the previous secret signs too"
    )
    created_by: int = Field(foreign_key="user.id")
    created_at: dt.datetime = Field(default_factory=utcnow)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint, sent until it is accepted or a day has passed; the
    row is the delivery log that administrators read and replay."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", index=True, ondelete="CASCADE")
    event_id: str = Field(max_length=64, description="the message id, the same on every retry")
    event_type: str = Field(max_length=48)
    request_id: int | None = Field(default=None, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)
    token: str = Field(default="", max_length=32, description="the current attempt's claim")
    attempts: int = Field(default=0)
    next_attempt_at: dt.datetime = Field(default_factory=utcnow)
    last_status_code: int | None = Field(default=None)
    last_error: str = Field(default="", max_length=500)
    created_at: dt.datetime = Field(default_factory=utcnow)
    delivered_at: dt.datetime | None = Field(default=None)


class CaseFile(SQLModel, table=True):
    """An investigation: one case of the unit, whose requests go to any number of states
    (``mlat.services.cases``). Its lead unit is the unit that opened it."""

    __tablename__ = "case_file"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True, description="the lead unit")
    title: str = Field(max_length=200)
    case_number: str = Field(default="", max_length=100, description="the unit's case number")
    offences: str = Field(default="", sa_type=Text, description="the offences, as written")
    lead_officer_id: int | None = Field(default=None, foreign_key="user.id")
    created_by: int = Field(foreign_key="user.id")
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class CasePartner(SQLModel, table=True):
    """Another unit of the installation that the lead unit shares a case with: its
    members read the case and its requests; with ``may_draft``, its officers draft their
    own requests in it, which their own unit reviews and signs."""

    __tablename__ = "case_partner"
    __table_args__ = (UniqueConstraint("case_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="unit.id", index=True)
    may_draft: bool = Field(default=False)
    invited_by: int = Field(foreign_key="user.id")
    invited_at: dt.datetime = Field(default_factory=utcnow)


class CaseJit(SQLModel, table=True):
    """The joint investigation team a case is run in: its member states, the period and
    scope of its agreement, the framework the agreement rests on, and the agreement."""

    __tablename__ = "case_jit"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", unique=True, ondelete="CASCADE")
    name: str = Field(max_length=200, description="the team's name, as in its agreement")
    framework: str = Field(max_length=40, description="a key of the joint-team frameworks")
    members: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description="the member states besides the unit's own, ISO 3166 alpha-2",
    )
    signed_on: dt.date | None = Field(default=None)
    starts_on: dt.date
    ends_on: dt.date
    scope: str = Field(default="", sa_type=Text, description="the agreement's purpose, as written")
    measures: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description="the measures the team may take; empty: any",
    )
    agreement_file_id: int | None = Field(default=None, foreign_key="stored_file.id")
    agreement_name: str = Field(default="", max_length=200)
    updated_by: int = Field(foreign_key="user.id")
    updated_at: dt.datetime = Field(default_factory=utcnow)


class EvidenceBlob(SQLModel, table=True):
    """The content of an evidence file, kept once, encrypted, under its SHA-256 in the
    evidence store (``mlat.evidence_store``), with what opens it."""

    __tablename__ = "evidence_blob"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True)
    size: int = Field(sa_type=BigInteger)
    backend: str = Field(max_length=16, description="folder or s3")
    object_name: str = Field(max_length=80, description="its name in the store")
    key_id: str = Field(max_length=32)
    data_key: bytes = Field(sa_type=LargeBinary, description="the file's data key, wrapped")
    nonce_prefix: bytes = Field(sa_type=LargeBinary)
    created_at: dt.datetime = Field(default_factory=utcnow)


class EvidenceReceipt(SQLModel, table=True):
    """Evidence received for a request: when, from whom, by which channel, under which
    reference of the sender's, and which of the request's measures it answers."""

    __tablename__ = "evidence_receipt"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="mla_request.id", index=True)
    received_on: dt.date
    sender: str = Field(max_length=300, description="the authority or the provider")
    sender_kind: str = Field(max_length=16, description="authority or provider")
    channel: str = Field(max_length=24)
    sender_reference: str = Field(default="", max_length=200)
    answers: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description="per measure answered: its position in the request, and whether in full",
    )
    certificate: str = Field(
        default="", sa_type=Text, description="the certificate of authenticity that came with it"
    )
    recorded_by: int = Field(foreign_key="user.id")
    recorded_at: dt.datetime = Field(default_factory=utcnow)


class EvidenceItem(SQLModel, table=True):
    """One file received: its name as sent, and its content (a blob). Never opened or
    rendered by the app; listed, downloaded and accounted for."""

    __tablename__ = "evidence_item"

    id: int | None = Field(default=None, primary_key=True)
    receipt_id: int = Field(foreign_key="evidence_receipt.id", index=True)
    request_id: int = Field(foreign_key="mla_request.id", index=True)
    blob_id: int = Field(foreign_key="evidence_blob.id")
    filename: str = Field(max_length=255)
    sender_sha256: str = Field(
        default="", max_length=64, description="the digest the sender gave, if any"
    )
    created_by: int = Field(foreign_key="user.id")
    created_at: dt.datetime = Field(default_factory=utcnow)
    retain_until: dt.date | None = Field(
        default=None, description="kept at least until then; destroyed only after"
    )
    destruction_asked_by: int | None = Field(default=None, foreign_key="user.id")
    destruction_asked_at: dt.datetime | None = None
    destruction_reason: str = Field(default="", sa_type=Text)
    destroyed_by: int | None = Field(
        default=None, foreign_key="user.id", description="who approved the destruction"
    )
    destroyed_at: dt.datetime | None = None


class EvidenceGrant(SQLModel, table=True):
    """A partner unit of the request's case allowed to download an evidence item (its
    members read the item's record anyway)."""

    __tablename__ = "evidence_grant"
    __table_args__ = (UniqueConstraint("item_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="evidence_item.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    granted_by: int = Field(foreign_key="user.id")
    granted_at: dt.datetime = Field(default_factory=utcnow)


class CustodyEvent(SQLModel, table=True):
    """One link of an evidence item's chain of custody: who did what, when, why, and the
    item's digest at that moment. Each is also an entry of the audit trail."""

    __tablename__ = "custody_event"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="evidence_item.id", index=True)
    action: str = Field(max_length=24)
    actor_id: int = Field(foreign_key="user.id")
    at: dt.datetime = Field(default_factory=utcnow)
    reason: str = Field(default="", sa_type=Text)
    recipient: str = Field(default="", max_length=300)
    sha256: str = Field(max_length=64)


class EvidenceUpload(SQLModel, table=True):
    """An evidence file arriving in chunks, to be named by a receipt once whole
    (``mlat.services.evidence_uploads``): what was declared, how much has arrived, and
    what opens its staging file, encrypted in the store's scratch folder."""

    __tablename__ = "evidence_upload"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="mla_request.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    filename: str = Field(max_length=255, description="as the browser named it")
    size: int = Field(sa_type=BigInteger, description="the size declared when it began")
    chunk_size: int = Field(description="bytes per chunk sent, the last one shorter")
    received: int = Field(default=0, sa_type=BigInteger, description="bytes received so far")
    key_id: str = Field(max_length=32)
    data_key: bytes = Field(sa_type=LargeBinary, description="the staging file's key, wrapped")
    staging: str = Field(max_length=80, description="the staging file's name in the scratch folder")
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow, index=True)

"""Typed, frozen configuration read from the environment."""

from __future__ import annotations

import base64
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"


@dataclass(frozen=True)
class SmtpSettings:
    """Where notification e-mails go; no e-mail is sent when the host is not set."""

    host: str
    port: int = 25
    sender: str = "mlat@localhost"
    username: str = ""
    password: str = ""
    starttls: bool = False


@dataclass(frozen=True)
class JobSettings:
    """How packet renders run off the request path (``mlat.jobs``)."""

    queue_name: str = "mlat-packets"
    """the RQ queue, when ``Config.redis_url`` is set"""
    threads: int = 1
    """local worker threads in each app process without Redis; 0 (and any app with
    ``Config.testing``) leaves jobs queued until run by hand"""
    timeout_seconds: float = 60.0
    """a render taking longer is stopped and the job fails with a message"""
    memory_mb: int = 1024
    """address space a render may use; past it the render fails with a message"""
    heartbeat_seconds: float = 10.0
    """how often a worker marks the job it runs alive, and how often each app process
    (local queue) or RQ worker looks for lost jobs"""
    lost_after_seconds: float = 45.0
    """a running job not marked alive for this long lost its worker, and a pending job
    not taken for this long was lost by its queue: either is queued again"""
    max_attempts: int = 3
    """runs of a job whose worker may stop without a word before the job fails"""

    def __post_init__(self) -> None:
        if self.heartbeat_seconds <= 0 or self.lost_after_seconds < 2 * self.heartbeat_seconds:
            raise ValueError(
                "MLAT_JOB_LOST_AFTER must be at least twice MLAT_JOB_HEARTBEAT, which must "
                "be more than 0: a live render would otherwise be taken for a lost one."
            )
        if self.max_attempts < 1:
            raise ValueError("MLAT_JOB_ATTEMPTS must be at least 1.")


@dataclass(frozen=True)
class AuditKey:
    """A key of the audit trail's HMAC, named by the id that entries and checkpoints record."""

    key_id: str
    secret: bytes = field(repr=False)


@dataclass(frozen=True)
class AuditSettings:
    """What anchors the audit trail outside the database (``mlat.services.audit_keys``,
    ``mlat.services.audit_checkpoints``)."""

    keys: tuple[AuditKey, ...] = ()
    """the first signs new entries and checkpoints, the others only verify (rotation);
    empty: a key generated once in the instance folder"""
    checkpoint_dir: Path | None = None
    """where signed checkpoints of the chain head are appended; None: nowhere"""
    checkpoint_minutes: float = 15.0
    """the app writes a checkpoint after an append at most this often; 0: only the
    ``audit checkpoint`` command and backups do"""
    tsa_url: str = ""
    """an RFC 3161 timestamp authority that timestamps each checkpoint"""
    syslog: str = ""
    """also send each checkpoint to syslog: a socket path (/dev/log), host[:port] (UDP)
    or tcp:host[:port]"""


@dataclass(frozen=True)
class EvidenceSettings:
    """Where evidence files are kept (``mlat.evidence_store``): a folder by default, an
    S3-compatible bucket when one is named."""

    folder: str = ""
    """empty: ``evidence`` in the instance folder"""
    s3_bucket: str = ""
    s3_endpoint: str = ""
    """the store's address, for a store other than AWS; empty: AWS's, by region"""
    s3_prefix: str = "evidence/"
    max_bytes: int = 4 * 1024**3
    """the largest file accepted"""


@dataclass(frozen=True)
class Config:
    database_url: str
    secret_key: str
    instance_path: Path
    testing: bool = False
    csrf_enabled: bool = True
    secure_cookies: bool = False
    smtp: SmtpSettings | None = None
    base_url: str = "http://127.0.0.1:5000"
    redis_url: str = ""
    """RQ on this Redis runs packet jobs (``flask worker``); empty: a local worker thread"""
    jobs: JobSettings = field(default_factory=JobSettings)
    proxy_fix: int = 0
    """trust X-Forwarded-For/-Proto/-Host/-Prefix from this many reverse proxies"""
    signing_secret: str = ""
    """encrypts the stored signing keys; empty: derived from ``secret_key``"""
    signing_trust_file: str = ""
    """PEM file of the certification authorities whose signing certificates are trusted"""
    timestamp_url: str = ""
    """an RFC 3161 timestamp authority; each packet signature is then timestamped"""
    token_module: str = ""
    """the PKCS#11 library of the token (HSM) holding prosecutors' keys; empty: none"""
    token_label: str = ""
    """the label of that token"""
    token_pin: str = ""
    """the user PIN that opens it"""
    audit: AuditSettings = field(default_factory=AuditSettings)
    data_keys: str = ""
    """the keys that encrypt stored files and TOTP secrets (``mlat.crypto``): entries
    ``id:base64key``, the first current; empty: a key generated once into the instance
    folder (``data_keys_of``)"""
    api_rate_per_minute: int = 120
    """calls each API token may make per minute; more are answered 429"""
    webhook_allow_networks: str = ""
    """space-separated networks (CIDR) of private addresses that webhooks may still reach,
    for an installation whose receivers are on its internal network; empty: none"""
    evidence: EvidenceSettings = field(default_factory=lambda: EvidenceSettings())
    extra: dict[str, Any] = field(default_factory=dict)

    def flask_settings(self) -> dict[str, Any]:
        return {
            "SECRET_KEY": self.secret_key,
            "TESTING": self.testing,
            "WTF_CSRF_ENABLED": self.csrf_enabled,
            "WTF_CSRF_TIME_LIMIT": None,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.secure_cookies,
            # Behind HTTPS the cookie is bound to this host, path "/" and HTTPS: no
            # subdomain or plain-HTTP page can set or overwrite it.
            "SESSION_COOKIE_NAME": "__Host-session" if self.secure_cookies else "session",
            "REMEMBER_COOKIE_SECURE": self.secure_cookies,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
            "BABEL_DEFAULT_LOCALE": "en",
            "BABEL_DEFAULT_TIMEZONE": "UTC",
            "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
            **self.extra,
        }


def _secret_key(instance_path: Path) -> str:
    """The key from MLAT_SECRET_KEY, or one generated once and kept in the instance folder."""
    from_env = os.environ.get("MLAT_SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.touch(mode=0o600)
    key_file.write_text(key)
    return key


AUDIT_KEY_FILE = "audit_key"
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,32}")
MIN_SECRET = 32


def parse_audit_keys(text: str, source: str) -> tuple[AuditKey, ...]:
    """Keys written as ``id:secret``, one a line or separated by commas, the signing key
    first; lines starting with # are comments."""
    keys: list[AuditKey] = []
    items = (
        item.strip()
        for line in text.splitlines()
        if not line.lstrip().startswith("#")
        for item in line.split(",")
    )
    for item in filter(None, items):
        key_id, colon, secret = item.partition(":")
        key_id, secret = key_id.strip(), secret.strip()
        if not colon or not _KEY_ID.fullmatch(key_id):
            raise ValueError(
                f"{source}: each audit key is written as id:secret, the id made of up to 32 "
                "letters, digits, dots, dashes and underscores."
            )
        if len(secret) < MIN_SECRET:
            raise ValueError(
                f"{source}: the audit key {key_id} is shorter than {MIN_SECRET} characters."
            )
        if any(k.key_id == key_id for k in keys):
            raise ValueError(f"{source}: the audit key id {key_id} is given twice.")
        keys.append(AuditKey(key_id, secret.encode()))
    return tuple(keys)


def instance_audit_keys(instance_path: Path) -> tuple[AuditKey, ...]:
    """The audit keys kept in the instance folder, generated there once when none are.

    The key is written to a file of its own and linked into place, so that app processes
    starting together all end up with the one key that won."""
    key_file = instance_path / AUDIT_KEY_FILE
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fresh = instance_path / f".{AUDIT_KEY_FILE}.{secrets.token_hex(8)}"
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, f"instance-{secrets.token_hex(4)}:{secrets.token_hex(32)}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(fresh, key_file)
        except FileExistsError:
            pass  # another process was first: its key counts
        finally:
            fresh.unlink()
    keys = parse_audit_keys(key_file.read_text(), str(key_file))
    if not keys:  # entries signed with no key would break the chain
        raise ValueError(f"{key_file} holds no audit key.")
    return keys


def audit_keys(config: Config) -> tuple[AuditKey, ...]:
    """The configured audit keys, or else the instance folder's."""
    return config.audit.keys or instance_audit_keys(config.instance_path)


def _audit_settings(instance_path: Path) -> AuditSettings:
    from_env, key_file = (
        os.environ.get("MLAT_AUDIT_KEY", ""),
        os.environ.get("MLAT_AUDIT_KEY_FILE", ""),
    )
    if from_env and key_file:
        raise ValueError("Set MLAT_AUDIT_KEY or MLAT_AUDIT_KEY_FILE, not both.")
    keys: tuple[AuditKey, ...] = ()
    if from_env:
        keys = parse_audit_keys(from_env, "MLAT_AUDIT_KEY")
    elif key_file:
        keys = parse_audit_keys(Path(key_file).read_text(), key_file)
    if (from_env or key_file) and not keys:
        raise ValueError("MLAT_AUDIT_KEY or MLAT_AUDIT_KEY_FILE is set but holds no key.")
    # Unset: the instance folder; set but empty: no checkpoints.
    default_dir = str(instance_path / "audit-checkpoints")
    checkpoint_dir = os.environ.get("MLAT_AUDIT_CHECKPOINT_DIR", default_dir)
    return AuditSettings(
        keys=keys,
        checkpoint_dir=Path(checkpoint_dir) if checkpoint_dir else None,
        checkpoint_minutes=float(os.environ.get("MLAT_AUDIT_CHECKPOINT_MINUTES", "15")),
        tsa_url=os.environ.get("MLAT_AUDIT_TSA_URL", ""),
        syslog=os.environ.get("MLAT_AUDIT_SYSLOG", ""),
    )


def config_from_env() -> Config:
    instance_path = Path(os.environ.get("MLAT_INSTANCE_PATH", DEFAULT_INSTANCE))
    database_url = os.environ.get(
        "MLAT_DATABASE_URL", f"sqlite:///{instance_path / 'mlat.sqlite3'}"
    )
    return Config(
        database_url=database_url,
        secret_key=_secret_key(instance_path),
        instance_path=instance_path,
        secure_cookies=_secure_cookies(),
        smtp=_smtp_settings(),
        base_url=os.environ.get("MLAT_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        redis_url=os.environ.get("MLAT_REDIS_URL", ""),
        jobs=_job_settings(),
        proxy_fix=int(os.environ.get("MLAT_PROXY_FIX", "0")),
        signing_secret=os.environ.get("MLAT_SIGNING_SECRET", ""),
        signing_trust_file=os.environ.get("MLAT_SIGNING_TRUST", ""),
        timestamp_url=os.environ.get("MLAT_TIMESTAMP_URL", ""),
        token_module=os.environ.get("MLAT_PKCS11_MODULE", ""),
        token_label=os.environ.get("MLAT_PKCS11_TOKEN", ""),
        token_pin=os.environ.get("MLAT_PKCS11_PIN", ""),
        audit=_audit_settings(instance_path),
        data_keys=_data_keys_from_env(),
        api_rate_per_minute=int(os.environ.get("MLAT_API_RATE_PER_MINUTE", "120")),
        webhook_allow_networks=os.environ.get("MLAT_WEBHOOK_ALLOW_NETWORKS", ""),
        evidence=EvidenceSettings(
            folder=os.environ.get("MLAT_EVIDENCE_DIR", ""),
            s3_bucket=os.environ.get("MLAT_EVIDENCE_S3_BUCKET", ""),
            s3_endpoint=os.environ.get("MLAT_EVIDENCE_S3_ENDPOINT", ""),
            s3_prefix=os.environ.get("MLAT_EVIDENCE_S3_PREFIX", "evidence/"),
            max_bytes=int(os.environ.get("MLAT_EVIDENCE_MAX_BYTES", str(4 * 1024**3))),
        ),
    )


def _data_keys_from_env() -> str:
    """MLAT_DATA_KEYS, or the contents of the file MLAT_DATA_KEY_FILE names; not both."""
    keys = os.environ.get("MLAT_DATA_KEYS", "")
    key_file = os.environ.get("MLAT_DATA_KEY_FILE", "")
    if keys and key_file:
        raise ValueError("Set MLAT_DATA_KEYS or MLAT_DATA_KEY_FILE, not both.")
    if key_file:
        try:
            return Path(key_file).read_text()
        except OSError as exc:
            raise ValueError(f"MLAT_DATA_KEY_FILE: cannot read {key_file}: {exc}") from exc
    return keys


def data_keys_of(config: Config) -> str:
    """The configured data keys, or the key generated once and kept in the instance
    folder (``instance/data_keys``, as ``secret_key``), for a single machine."""
    if config.data_keys.strip():
        return config.data_keys
    key_file = config.instance_path / "data_keys"
    if not key_file.exists():
        config.instance_path.mkdir(parents=True, exist_ok=True)
        key_id = "local-" + secrets.token_hex(4)
        entry = f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}\n"
        # Written aside and linked into place: two processes starting at once keep one key.
        partial = key_file.with_name(f"data_keys.{secrets.token_hex(4)}")
        partial.touch(mode=0o600)
        partial.write_text(entry)
        try:
            os.link(partial, key_file)
        except FileExistsError:
            pass
        finally:
            partial.unlink()
    return key_file.read_text()


def _secure_cookies() -> bool:
    """Secure cookies when asked for, and whenever the app's address is HTTPS (unless
    MLAT_SECURE_COOKIES=0 says otherwise, as behind a proxy that is tested over HTTP)."""
    asked = os.environ.get("MLAT_SECURE_COOKIES")
    if asked is not None:
        return asked == "1"
    return os.environ.get("MLAT_BASE_URL", "").lower().startswith("https://")


def _job_settings() -> JobSettings:
    default = JobSettings()
    return JobSettings(
        queue_name=os.environ.get("MLAT_JOB_QUEUE", default.queue_name),
        threads=int(os.environ.get("MLAT_JOB_THREADS", str(default.threads))),
        timeout_seconds=float(os.environ.get("MLAT_RENDER_TIMEOUT", str(default.timeout_seconds))),
        memory_mb=int(os.environ.get("MLAT_RENDER_MEMORY_MB", str(default.memory_mb))),
        heartbeat_seconds=float(
            os.environ.get("MLAT_JOB_HEARTBEAT", str(default.heartbeat_seconds))
        ),
        lost_after_seconds=float(
            os.environ.get("MLAT_JOB_LOST_AFTER", str(default.lost_after_seconds))
        ),
        max_attempts=int(os.environ.get("MLAT_JOB_ATTEMPTS", str(default.max_attempts))),
    )


def _smtp_settings() -> SmtpSettings | None:
    host = os.environ.get("MLAT_SMTP_HOST", "")
    if not host:
        return None
    return SmtpSettings(
        host=host,
        port=int(os.environ.get("MLAT_SMTP_PORT", "25")),
        sender=os.environ.get("MLAT_SMTP_SENDER", "mlat@localhost"),
        username=os.environ.get("MLAT_SMTP_USERNAME", ""),
        password=os.environ.get("MLAT_SMTP_PASSWORD", ""),
        starttls=os.environ.get("MLAT_SMTP_STARTTLS", "0") == "1",
    )

"""Login throttling with counters that hold when attempts arrive at the same moment.

Every check of a password or a two-factor code first takes a slot from the counters of
the client's address, of the account and, when the browser is one the user has logged
in from before, of that device. Taking a slot is a compare-and-set on the counter (a
conditional update of its row, or a watched Redis transaction when Redis is configured),
and the slot is counted as a failure until the check succeeds and gives it back. So a
burst of simultaneous guesses is checked at most as many times as the counters allow,
whichever order the database runs them in.

The design slows an attacker without letting them lock the real user out:

- **Per address, progressive delays.** Five failures are free; after them each attempt
  must wait, 30 seconds after the fifth failure, doubling with each further failure up
  to 15 minutes. One address therefore cannot go on guessing at any account.
- **Per account, a limit that known devices pass.** After 10 failures at one account
  (from any number of addresses), attempts at it are refused for 15 minutes after the
  last failure, except from a browser the user has logged in from before (a known
  device, ``KnownDevice``): there the right password and the right code still log in.
  Guessing from many addresses cannot lock the real user out of their own computer.
- **Per known device, the same delays as an address,** so that a stolen device cookie
  does not open an unlimited way past the account's limit.

Failures are forgotten an hour after the last one. The failures themselves are still
recorded in the audit trail; the counters only decide.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from mlat.dates import utc
from mlat.models import KnownDevice, ThrottleCounter, User

if TYPE_CHECKING:
    from redis import Redis

FORGET = dt.timedelta(hours=1)
"""Failures are forgotten this long after the last one."""

ATTEMPTS_PER_SLOT = 8
"""Tries at a compare-and-set before an attempt is refused as contended."""


@dataclass(frozen=True)
class Policy:
    """``free`` failures, then a wait after each further one: ``first_wait``, doubling
    up to ``max_wait``. ``passable`` counters let a known device through their wait."""

    name: str
    free: int
    first_wait: dt.timedelta
    max_wait: dt.timedelta
    passable: bool = False

    def wait_after(self, failures: int) -> dt.timedelta:
        if failures < self.free:
            return dt.timedelta(0)
        doublings = min(failures - self.free, 16)
        return min(self.first_wait * (1 << doublings), self.max_wait)


ADDRESS = Policy("address", 5, dt.timedelta(seconds=30), dt.timedelta(minutes=15))
ACCOUNT = Policy("account", 10, dt.timedelta(minutes=15), dt.timedelta(minutes=15), True)
DEVICE = Policy("device", 5, dt.timedelta(seconds=30), dt.timedelta(minutes=15))


@dataclass(frozen=True)
class Counter:
    key: str
    policy: Policy


@dataclass(frozen=True)
class State:
    failures: int
    last_at: dt.datetime
    wait_until: dt.datetime


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused, and how long until the next one may be made."""

    policy: Policy
    wait: dt.timedelta


Change = Callable[[State | None], "State | Refusal | None"]
"""Given a counter's state, its new state; a refusal or None leave it as it is."""


class Store(Protocol):
    def change(self, key: str, change: Change) -> tuple[bool, State | Refusal | None]:
        """Apply ``change`` atomically: whether it could be (not, under contention that
        outlasted every try), and what it gave."""


def address_key(client_addr: str) -> str:
    """An IPv6 client counts by its /64 network, which one subscriber usually has whole."""
    try:
        address = ipaddress.ip_address(client_addr)
    except ValueError:
        return f"address:{client_addr[:64]}"
    if address.version == 6:
        network = ipaddress.ip_network(f"{address}/64", strict=False)
        return f"address:{network}"
    return f"address:{address}"


def counters(*, email: str, client_addr: str, device: str | None) -> list[Counter]:
    """The counters an attempt at ``email`` from this address and device draws on."""
    found = [Counter(address_key(client_addr), ADDRESS), Counter(f"account:{email}", ACCOUNT)]
    if device:
        found.append(Counter(f"device:{device}", DEVICE))
    return found


def _current(state: State | None, now: dt.datetime) -> int:
    if state is None or now - utc(state.last_at) >= FORGET:
        return 0
    return state.failures


def _taken(
    counter: Counter, state: State | None, now: dt.datetime, known_device: bool
) -> State | Refusal:
    failures = _current(state, now)
    if state is not None and failures and not (known_device and counter.policy.passable):
        wait = utc(state.wait_until) - now
        if wait > dt.timedelta(0):
            return Refusal(counter.policy, wait)
    failures += 1
    return State(failures, now, now + counter.policy.wait_after(failures))


def _given_back(counter: Counter, state: State | None, now: dt.datetime) -> State | None:
    failures = _current(state, now)
    if state is None or not failures:
        return None
    failures -= 1
    wait_until = utc(state.last_at) + counter.policy.wait_after(failures)
    return State(failures, state.last_at, wait_until)


def take(
    *, store: Store, counters: Sequence[Counter], now: dt.datetime, known_device: bool
) -> Refusal | None:
    """Take a slot from each counter for one check, or say why the attempt is refused.

    Counters are taken in order and stop at the first refusal; the slots taken before it
    stay counted, as a refused attempt is an attacker's more often than not."""
    for counter in counters:
        applied, result = store.change(
            counter.key, functools.partial(_taken, counter, now=now, known_device=known_device)
        )
        if not applied:
            return Refusal(counter.policy, counter.policy.first_wait)
        if isinstance(result, Refusal):
            return result
    return None


def give_back(*, store: Store, counters: Sequence[Counter], now: dt.datetime) -> None:
    """The check succeeded: the slot it took is not a failure."""
    for counter in counters:
        store.change(counter.key, functools.partial(_given_back, counter, now=now))


# The counters in the database: a compare-and-set on the row's version.


@dataclass
class SqlStore:
    session: Session

    def change(self, key: str, change: Change) -> tuple[bool, State | Refusal | None]:
        for _try in range(ATTEMPTS_PER_SLOT):
            row = self.session.execute(
                select(ThrottleCounter.failures, ThrottleCounter.last_at,
                       ThrottleCounter.wait_until, ThrottleCounter.version)
                .where(ThrottleCounter.key == key)
            ).one_or_none()  # fmt: skip
            result = change(State(row[0], row[1], row[2]) if row else None)
            if not isinstance(result, State):
                return True, result
            if row is None:
                if self._insert(key, result):
                    return True, result
                continue
            values = {"failures": result.failures, "last_at": result.last_at,
                      "wait_until": result.wait_until, "version": row[3] + 1}  # fmt: skip
            done = self.session.execute(
                update(ThrottleCounter)
                .where(col(ThrottleCounter.key) == key, col(ThrottleCounter.version) == row[3])
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount == 1:  # type: ignore[attr-defined]
                return True, result
        return False, None

    def _insert(self, key: str, new: State) -> bool:
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        values = {"key": key, "failures": new.failures, "last_at": new.last_at,
                  "wait_until": new.wait_until, "version": 0}  # fmt: skip
        inserted = self.session.execute(
            insert(ThrottleCounter)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(col(ThrottleCounter.key))
        ).first()
        return inserted is not None


def forget_old(*, session: Session, now: dt.datetime) -> None:
    """Remove counters whose failures are forgotten and whose wait is over."""
    session.execute(
        delete(ThrottleCounter).where(
            col(ThrottleCounter.last_at) < now - FORGET, col(ThrottleCounter.wait_until) < now
        )
    )


# The counters in Redis: a watched transaction, with the same rule.


@dataclass
class RedisStore:
    redis: Redis
    prefix: str

    def change(self, key: str, change: Change) -> tuple[bool, State | Refusal | None]:
        from redis.exceptions import WatchError

        name = self.prefix + key
        for _try in range(ATTEMPTS_PER_SLOT):
            with self.redis.pipeline() as pipe:
                try:
                    pipe.watch(name)  # type: ignore[no-untyped-call]
                    found = pipe.hgetall(name)
                    new = change(_from_redis(found))
                    if not isinstance(new, State):
                        return True, new
                    pipe.multi()
                    pipe.hset(name, mapping={
                        "failures": new.failures,
                        "last_at": new.last_at.timestamp(),
                        "wait_until": new.wait_until.timestamp(),
                    })  # fmt: skip
                    # Kept as long as the failures are remembered, and the wait lasts.
                    keep = FORGET + max(new.wait_until - new.last_at, dt.timedelta(0))
                    pipe.expire(name, int(keep.total_seconds()) + 1)
                    pipe.execute()
                    return True, new
                except WatchError:
                    time.sleep(0.001)
        return False, None


def _from_redis(found: Mapping[Any, Any]) -> State | None:
    if not found:
        return None

    def moment(name: bytes) -> dt.datetime:
        return dt.datetime.fromtimestamp(float(found[name]), dt.UTC)

    return State(int(found[b"failures"]), moment(b"last_at"), moment(b"wait_until"))


# Known devices: a random token in a long-lived cookie, its SHA-256 on the server.

DEVICE_LIFETIME = dt.timedelta(days=180)


def device_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_known_device(*, session: Session, email: str, token: str | None, now: dt.datetime) -> bool:
    """Whether the browser's device token is one the account ``email`` logged in from."""
    if not token or len(token) > 100:
        return False
    found = session.exec(
        select(KnownDevice.last_used_at)
        .join(User, col(User.id) == KnownDevice.user_id)
        .where(User.email == email, KnownDevice.token_hash == device_hash(token))
    ).first()
    return found is not None and now - utc(found) < DEVICE_LIFETIME


def remember_device(*, session: Session, user: User, token: str, now: dt.datetime) -> None:
    """After a full log-in: this browser is one of the user's known devices (again)."""
    assert user.id is not None
    token_hash = device_hash(token)
    session.execute(
        delete(KnownDevice).where(
            col(KnownDevice.user_id) == user.id,
            col(KnownDevice.last_used_at) < now - DEVICE_LIFETIME,
        )
    )
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"user_id": user.id, "token_hash": token_hash, "created_at": now,
              "last_used_at": now}  # fmt: skip
    session.execute(
        insert(KnownDevice)
        .values(**values)
        .on_conflict_do_update(index_elements=["user_id", "token_hash"], set_={"last_used_at": now})
    )

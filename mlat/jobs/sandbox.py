"""Rendering a packet in a child process, limited in time and memory.

The child is forked from a ``multiprocessing`` fork server that has WeasyPrint, the
packet templates, the stylesheet and the fonts loaded already (``mlat.jobs.preload``),
so a render starts warm without forking the (threaded) app or worker process itself.
The child lowers its own address-space limit (``RLIMIT_AS``) before rendering and turns
off Python's cycle collector: it exits after one render, so the collector would only
walk WeasyPrint's many short-lived objects again and again (a third of the render's
time, measured in bench/packets.py), and the limit bounds what it keeps. The parent
waits at most the time limit, then kills it. Either way the caller gets a
``RenderFailed`` with a message for the user, and the worker goes on.

While it waits, the parent calls the caller's ``alive`` every ``heartbeat_seconds``: the
worker marks its job alive there (``mlat.jobs.runner``), and learns whether the render
still counts. When it no longer does, the child is killed and ``RenderAbandoned`` raised.
"""

from __future__ import annotations

import gc
import multiprocessing
import resource
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from typing import Any

from mlat.messages import N_
from mlat.packets.values import PacketValues
from mlat.services import ServiceError

_context_lock = threading.Lock()
_context: ForkServerContext | None = None
_start_lock = threading.Lock()


@dataclass(frozen=True)
class Limits:
    seconds: float
    memory_mb: int
    heartbeat_seconds: float = 10.0
    """how often the waiting parent calls ``alive``"""


class RenderFailed(ServiceError):
    """The render was stopped (too slow, too big) or failed; the message says which."""


class RenderAbandoned(Exception):
    """The caller said the render no longer counts; its child was stopped."""


def _fork_server() -> ForkServerContext:
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["flask", "mlat.jobs.preload"])
            _context = context
        return _context


@contextmanager
def _main_hidden() -> Iterator[None]:
    """Start a child without making it import the parent's ``__main__`` (gunicorn's or
    pytest's entry point, a script): multiprocessing does so for every child, which costs
    time and runs code the render does not need. The render's target lives in this module.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _nothing() -> None:
    """A child that does nothing: starting one starts the fork server."""


def start_fork_server() -> None:
    """Start the fork server now rather than in the first render's time: it loads
    WeasyPrint and renders a sample packet, which takes seconds, during which that
    render's worker could not mark its job alive."""
    child = _fork_server().Process(target=_nothing, daemon=True)
    with _start_lock, _main_hidden():
        child.start()
    child.join()
    child.close()


def _child(conn: Connection, values: PacketValues, internal: bool, memory_mb: int) -> None:
    limit = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    gc.disable()  # the process ends after this render (see the module's docstring)
    from mlat.packets.render import render_packet

    try:
        result: tuple[str, Any] = ("ok", render_packet(values, internal=internal))
    except MemoryError:
        result = ("memory", "")
    except Exception as exc:  # reported to the parent, which fails the job with it
        result = ("error", f"{type(exc).__name__}: {exc}")
    conn.send(result)
    conn.close()


def render_isolated(
    values: PacketValues, *, internal: bool, limits: Limits,
    alive: Callable[[], bool] | None = None,
) -> bytes:  # fmt: skip
    """The packet's PDF bytes, rendered in a child process within ``limits``; ``alive``
    is called while waiting (see the module's docstring)."""
    context = _fork_server()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child, args=(sender, values, internal, limits.memory_mb), daemon=True
    )
    with _start_lock, _main_hidden():
        child.start()
    sender.close()
    try:
        _wait(receiver, limits, alive)
        outcome, payload = receiver.recv()
    except EOFError:  # the child died without a word: killed, or out of memory in C code
        raise RenderFailed(
            N_("Rendering stopped: it needed more than the limit of %(mb)d MB of memory."),
            mb=limits.memory_mb,
        ) from None
    finally:
        receiver.close()
        child.join(0.5)
        if child.is_alive():
            child.kill()
            child.join()
        child.close()
    if outcome == "memory":
        raise RenderFailed(
            N_("Rendering stopped: it needed more than the limit of %(mb)d MB of memory."),
            mb=limits.memory_mb,
        )
    if outcome != "ok":
        raise RenderFailed(N_("Rendering failed: %(reason)s"), reason=str(payload)[:300])
    pdf: bytes = payload
    return pdf


def _wait(receiver: Connection, limits: Limits, alive: Callable[[], bool] | None) -> None:
    """Wait for the child's answer within the time limit, calling ``alive`` meanwhile."""
    deadline = time.monotonic() + limits.seconds
    while not receiver.poll(max(0.0, min(limits.heartbeat_seconds, deadline - time.monotonic()))):
        if time.monotonic() >= deadline:
            raise RenderFailed(
                N_("Rendering took longer than the limit of %(seconds)d seconds."),
                seconds=round(limits.seconds),
            )
        if alive is not None and not alive():
            raise RenderAbandoned

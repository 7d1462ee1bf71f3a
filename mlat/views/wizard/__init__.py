"""The guided request wizard: task list, one page per step, live checks, annexes and
JSON import/export. The steps themselves are listed in ``mlat.wizard``."""

from __future__ import annotations

from mlat.views.wizard import annexes, exchange, steps
from mlat.views.wizard.common import bp

__all__ = ["annexes", "bp", "exchange", "steps"]

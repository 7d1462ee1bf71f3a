"""Shared by the tests of `flask` commands: running one as the executable does."""

from __future__ import annotations

from typing import Any

from click.testing import Result
from flask.cli import FlaskGroup


def flask(runner: Any, *args: str) -> Result:
    """Run a command as the `flask` executable does (it pushes an app context)."""
    cli = FlaskGroup(load_dotenv=False, set_debug_flag=False)
    result: Result = runner.invoke(cli, args=list(args))
    return result

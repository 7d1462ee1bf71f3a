"""Imports run one way: the commands and pages at the top, the request format at the
bottom, and no cycle anywhere (the contracts under [tool.importlinter] in pyproject.toml,
which ``make lint`` also checks with ``lint-imports``)."""

from __future__ import annotations

from pathlib import Path

import importlinter.api  # noqa: F401  (sets up import-linter's adapters)
from importlinter.application.use_cases import lint_imports

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_no_module_imports_a_higher_layer_or_one_that_imports_it_back() -> None:
    assert lint_imports(config_filename=str(PYPROJECT), cache_dir=None, no_logo=True)

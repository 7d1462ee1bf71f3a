"""Marking messages for translation where they are written, without Flask.

Services, rule checks and the workflow table write their messages in English and mark
them with ``N_``, so that ``pybabel extract -k N_`` finds them; the page that shows a
message translates it (``ServiceError.translated``, ``Finding.translated``).
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for extraction into the translation catalogue."""
    return message

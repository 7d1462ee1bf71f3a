"""Marking messages for translation where they are written, without Flask.

Services, rule checks and the workflow table write their messages in English and mark
them with ``N_`` (``Np_`` where the wording depends on a number), so that
``pybabel extract -k N_ -k Np_:1,2`` finds them; the page that shows a
message translates it (``ServiceError.translated``, ``Finding.translated``).
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for extraction into the translation catalogue."""
    return message


def Np_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message whose wording depends on a number ``%(n)d`` (``-k Np_:1,2``): the
    page that shows it picks the form through ``ngettext``, by each language's rules."""
    return singular, plural

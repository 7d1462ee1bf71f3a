"""Which document a request becomes: a request for expedited preservation under Article 29
of the Convention on Cybercrime, which the request for mutual assistance follows, or a
letter of request for mutual legal assistance. The packet is built as this says, and the
engine checks a choice the officer made."""

from __future__ import annotations

from typing import Literal

from mlat.request_format import MeasureKind, RequestDocument

DocumentKind = Literal["preservation", "mla"]

# The instruments under which a request to preserve data is its own document: Art. 29 of
# the Budapest Convention (the Second Additional Protocol supplements it).
PRESERVATION_BASES = frozenset({"budapest", "budapest-2ap"})


def may_be_preservation(document: RequestDocument) -> bool:
    """A request that asks only for data to be preserved, under the Budapest Convention."""
    measures = {m.kind for m in document.measures}
    return measures == {MeasureKind.preservation} and document.legal_basis in PRESERVATION_BASES


def document_kind(document: RequestDocument) -> DocumentKind:
    """The officer's choice where it fits the request; otherwise an Article 29 request for a
    request that may be one, and a letter of request for every other."""
    if document.document == "mla" or not may_be_preservation(document):
        return "mla"
    return "preservation"

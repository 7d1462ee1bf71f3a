"""Which document a request becomes: a request for expedited preservation under Article 29
of the Convention on Cybercrime, which the request for mutual assistance follows; a request
for subscriber information under Article 31 of that Convention, on the model the Cybercrime
Convention Committee adopted for it (T-CY(2018)10); or a letter of request for mutual legal
assistance. The packet is built as this says, and the engine checks a choice the officer
made."""

from __future__ import annotations

from typing import Literal

from mlat.request_format import MeasureKind, RequestDocument

DocumentKind = Literal["preservation", "subscriber", "mla"]

# The instruments under which a request to preserve data, or one for subscriber information
# alone, is its own document: Arts. 29 and 31 of the Budapest Convention (the Second
# Additional Protocol supplements it).
BUDAPEST_BASES = frozenset({"budapest", "budapest-2ap"})

# The one measure each document of its own asks for.
SOLE_MEASURE: dict[DocumentKind, MeasureKind] = {
    "preservation": MeasureKind.preservation,
    "subscriber": MeasureKind.subscriber_info,
}


def may_be(kind: DocumentKind, document: RequestDocument) -> bool:
    """Whether the request may be produced as ``kind``: a letter of request always; an
    Article 29 or Article 31 request only when it asks for that one measure, under the
    Budapest Convention."""
    if kind == "mla":
        return True
    measures = {m.kind for m in document.measures}
    return measures == {SOLE_MEASURE[kind]} and document.legal_basis in BUDAPEST_BASES


def document_kind(document: RequestDocument) -> DocumentKind:
    """The officer's choice where it fits the request; otherwise the document of its own the
    request may be, and a letter of request for every other."""
    if document.document is not None:
        return document.document if may_be(document.document, document) else "mla"
    for kind in SOLE_MEASURE:
        if may_be(kind, document):
            return kind
    return "mla"

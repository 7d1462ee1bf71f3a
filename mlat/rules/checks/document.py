"""Checks of the document the request becomes: whom it is addressed to and how to reach
them, and which kind of document it is (``mlat.rules.addressee``, ``mlat.rules.documents``)."""

from __future__ import annotations

from collections.abc import Iterator

from mlat.messages import N_
from mlat.rules.addressee import addressee
from mlat.rules.checks.common import finding
from mlat.rules.documents import may_be
from mlat.rules.findings import Context, Finding
from mlat.rules.words import Words

# What the packet cannot go without, by what is missing of the addressee.
ADDRESSEE_GAPS = {
    "name": N_(
        "Give the name of the authority the request is addressed to in %(state)s: the rule "
        "table names none for this channel. Enter it under Addressee."
    ),
    "address_or_email": N_(
        "The rule table gives no postal or e-mail address for the authority the request is "
        "addressed to in %(state)s. Enter one under Addressee, from your central authority "
        "or the state's own publications: the packet cannot be sent without it."
    ),
    "portal_or_address": N_(
        "The provider directory gives no law-enforcement portal, e-mail or postal address for "
        "the provider this request goes to in %(state)s. Enter one under Addressee, from the "
        "provider's own guidelines: the packet cannot be sent without it."
    ),
    "phone_or_email": N_(
        "The rule table gives no phone number or e-mail address for the 24/7 point of contact "
        "of %(state)s. Ask your own 24/7 point of contact and enter it under Addressee: the "
        "request cannot be sent without it."
    ),
}


NO_TABLE_ADDRESSEE = N_(
    "There is no rule table for %(state)s: enter under Addressee the authority the request goes "
    "to and a way to reach it, from your central authority or the state's own publications. "
    "The packet cannot be sent without them."
)


def check_addressee(ctx: Context) -> Iterator[Finding]:
    """The packet names whom it goes to, and how to reach them: never a blank or a dash."""
    req = ctx.request
    if not req.requested_state:
        return
    gaps = addressee(req, ctx.table, ctx.book.providers).missing()
    state = Words("state", (req.requested_state,))
    if ctx.table is None and gaps:
        yield finding("addressee_unknown", "error", "addressee", NO_TABLE_ADDRESSEE, state=state)
        return
    for gap in gaps:
        yield finding("addressee_unknown", "error", "addressee", ADDRESSEE_GAPS[gap], state=state)


# Why a document of its own cannot be produced for the request.
NOT_THAT_DOCUMENT = {
    "preservation": (
        "document_not_preservation",
        N_(
            "A request for expedited preservation under Article 29 asks only for data to be "
            "preserved, under the Convention on Cybercrime. Remove the other measures, choose "
            "the Convention as the legal basis, or produce a letter of request."
        ),
    ),
    "subscriber": (
        "document_not_subscriber",
        N_(
            "A request for subscriber information under Article 31 asks only for subscriber "
            "information, under the Convention on Cybercrime. Remove the other measures, choose "
            "the Convention as the legal basis, or produce a letter of request."
        ),
    ),
}


def check_document(ctx: Context) -> Iterator[Finding]:
    """A request under Article 29 or Article 31 is that and nothing more."""
    chosen = ctx.request.document
    if chosen is not None and chosen != "mla" and not may_be(chosen, ctx.request):
        code, message = NOT_THAT_DOCUMENT[chosen]
        yield finding(code, "error", "document", message)

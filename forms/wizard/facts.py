"""Step 3: the summary of facts and the nexus."""

from __future__ import annotations

import copy
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField

from forms.validators import at_most
from forms.wizard.base import TEXT, StepContext, StepForm


class FactsForm(StepForm):
    facts = TextAreaField(
        _l("Summary of the facts"),
        description=_l(
            "Who did what, when, where and how, in plain language that translates well. "
            "Name every account or address and say how it was used."
        ),
        validators=[at_most(TEXT)],
        render_kw={"rows": 12},
    )
    nexus = TextAreaField(
        _l("Why the evidence is needed (nexus)"),
        description=_l(
            "How the evidence sought is linked to the offence and to the person or account."
        ),
        validators=[at_most(TEXT)],
        render_kw={"rows": 8},
    )

    @classmethod
    def initial(cls, ctx: StepContext) -> dict[str, Any]:
        return {"facts": ctx.document.facts, "nexus": ctx.document.nexus}

    def apply(self, content: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(content)
        out["facts"] = (self.facts.data or "").strip()
        out["nexus"] = (self.nexus.data or "").strip()
        return out

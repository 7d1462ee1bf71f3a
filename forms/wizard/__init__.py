"""The wizard's forms: one class per step (``mlat.wizard`` lists the steps)."""

from __future__ import annotations

from forms.wizard.base import StepContext, StepForm
from forms.wizard.facts import FactsForm
from forms.wizard.measures import MeasuresForm
from forms.wizard.offences import OffencesForm
from forms.wizard.persons import PersonsForm
from forms.wizard.route import RouteForm
from forms.wizard.safeguards import SafeguardsForm

STEP_FORMS: dict[str, type[StepForm]] = {
    "route": RouteForm,
    "offences": OffencesForm,
    "facts": FactsForm,
    "persons": PersonsForm,
    "measures": MeasuresForm,
    "safeguards": SafeguardsForm,
}

__all__ = ["STEP_FORMS", "StepContext", "StepForm"]

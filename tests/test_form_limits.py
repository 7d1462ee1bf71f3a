"""The wizard's forms refuse what the request format refuses, no more and no less: their
limits come from the format."""

from __future__ import annotations

import pytest
from annotated_types import MaxLen

from forms.wizard.base import StepForm
from forms.wizard.measures import MeasuresForm
from forms.wizard.offences import OffencesForm
from forms.wizard.persons import PersonsForm
from mlat.request_format import RequestDocument


def format_limit(name: str) -> int:
    [limit] = [m.max_length for m in RequestDocument.model_fields[name].metadata
               if isinstance(m, MaxLen)]  # fmt: skip
    return limit


@pytest.mark.parametrize(
    ("form", "name"),
    [
        (OffencesForm, "offences"),
        (PersonsForm, "persons"),
        (PersonsForm, "identifiers"),
        (MeasuresForm, "measures"),
    ],
)
def test_a_list_in_the_wizard_takes_as_many_rows_as_the_format(
    form: type[StepForm], name: str
) -> None:
    assert getattr(form, name).kwargs["max_entries"] == format_limit(name)

"""The statistics page's period: a quarter, or days from and to."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from mlat.services.stats import Period

QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def quarters(today: dt.date, count: int = 8) -> list[tuple[str, str]]:
    """The current quarter and the ones before it, newest first: ("2026-Q4", "Q4 2026")."""
    year, number = today.year, (today.month - 1) // 3 + 1
    found = []
    for _ in range(count):
        found.append((f"{year}-Q{number}", f"Q{number} {year}"))
        year, number = (year - 1, 4) if number == 1 else (year, number - 1)
    return found


class StatisticsForm(FlaskForm):  # type: ignore[misc]
    """A GET form, so no CSRF token."""

    class Meta:
        csrf = False

    quarter = SelectField(_l("Quarter"), validate_choice=False)
    date_from = DateField(_l("Created from"), validators=[Optional()])
    date_to = DateField(_l("Created until"), validators=[Optional()])

    def prepare(self, today: dt.date) -> None:
        self.quarter.choices = [("", _l("Any time, or the days below")), *quarters(today)]

    def validate_quarter(self, field: Any) -> None:
        if field.data and not QUARTER.match(field.data):
            raise ValidationError(_l("Choose a quarter from the list."))

    def validate_date_to(self, field: Any) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def period(self) -> Period:
        if self.quarter.data and (match := QUARTER.match(self.quarter.data)):
            return Period.quarter(int(match.group(1)), int(match.group(2)))
        return Period(self.date_from.data, self.date_to.data)

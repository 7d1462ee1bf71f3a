"""Step 7 (annex uploads and removals) and the JSON import form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired

from forms.validators import at_most
from forms.wizard.base import LINE, choice_in, language_choices, options
from mlat.labels import ANNEX_LABELS

ANNEX_KINDS = [*((key, _l(text)) for key, text in ANNEX_LABELS.items())]


class AnnexUploadForm(FlaskForm):  # type: ignore[misc]
    version = HiddenField()
    file = FileField(
        _l("File"),
        description=_l("A PDF, PNG or JPEG image, or a plain-text file."),
        validators=[FileRequired(_l("Choose a file to upload."))],
    )
    kind = SelectField(
        _l("Kind of annex"),
        choices=options(ANNEX_KINDS),
        validate_choice=False,
        validators=[choice_in(ANNEX_KINDS, _l("Choose a kind from the list."))],
    )
    title = StringField(
        _l("Title"),
        description=_l("e.g. Law No. 14 of 2014, article 11 (English translation)"),
        validators=[DataRequired(_l("Give the annex a title.")), at_most(LINE)],
    )
    language = SelectField(_l("Language of the document"), validate_choice=False)

    def prepare(self) -> None:
        self.language.choices = [("", _l("No text, or not known")), *language_choices()]

    def validate_language(self, field: object) -> None:
        choice_in(language_choices(), _l("Choose a language from the list."))(self, field)


class AnnexRemoveForm(FlaskForm):  # type: ignore[misc]
    version = HiddenField()
    position = HiddenField()
    annex_id = HiddenField()


class ImportForm(FlaskForm):  # type: ignore[misc]
    file = FileField(
        _l("Request file (.json)"),
        description=_l("A request exported from mlat or written in the documented request format."),
        validators=[FileRequired(_l("Choose a JSON file to import."))],
    )
    title = StringField(
        _l("Title of the new draft"),
        description=_l("Leave empty to use the case number from the file."),
        validators=[at_most(200)],
    )

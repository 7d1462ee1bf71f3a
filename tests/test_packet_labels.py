"""The packet's label sets: one catalogue per language, complete, chosen by the
requested state's accepted languages, and the only source of the templates' labels."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from mlat.packets.labels import catalogue_path, label_language, label_languages, messages
from mlat.packets.render import TEMPLATES_DIR
from tests.test_packet_render import sample, values


def test_labels_follow_the_first_accepted_language_with_a_label_set() -> None:
    assert set(label_languages()) >= {"en", "fr", "es", "de", "ar"}
    assert label_language(["ar"]) == "ar"
    assert label_language(["nl", "en", "fr"]) == "en"
    assert label_language(["pt"]) == "en"
    assert values(sample(requested_state="FR")).label_language == "fr"
    assert values(sample(requested_state="DE")).label_language == "de"


def test_every_label_set_translates_every_label() -> None:
    english = messages("en")
    for language in label_languages():
        assert set(messages(language)) | {k for k in english if k[0] is None} >= set(english)
        missing = [k for k in english if k[0] is not None and k not in messages(language)]
        assert not missing, (language, missing)
    plain = {k[1] for k in english if k[0] is None}
    for language in ("fr", "es", "de", "ar"):
        untranslated = plain - {k[1] for k in messages(language)}
        assert not untranslated, (language, untranslated)


def test_templates_only_use_labels_from_the_catalogue() -> None:
    with catalogue_path("en").open("rb") as fh:
        ids = {m.id for m in read_po(fh) if m.context is None}
    used = set()
    for template in TEMPLATES_DIR.glob("*.html"):
        used |= set(re.findall(r"""\bt\((?:"([^"]+)"|'([^']+)')""", template.read_text()))
    labels = {a or b for a, b in used} - {"\\n\\n"}
    assert labels - ids == set()

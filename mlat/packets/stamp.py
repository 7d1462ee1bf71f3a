"""The signature stamp's text: the font that draws every letter of it (Latin, Greek,
Cyrillic, Hebrew, Arabic, Chinese, Japanese, Korean), cut to the letters drawn and kept
once per process, and right-to-left words laid out in the order the stamp draws them."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import arabic_reshaper
from bidi import get_display
from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter

# Fonts for the stamp's text, embedded (a subset) so that the packet stays PDF/A: the first
# found of those the set-up installs (fonts-noto-core, fonts-dejavu-core).
STAMP_FONTS = (
    Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)
# For a stamp with letters beyond those: DejaVu Sans also draws Greek, Cyrillic, Hebrew
# and Arabic (with its presentation forms); Noto Sans CJK draws Chinese, Japanese and
# Korean (and Latin), from fonts-noto-cjk.
WIDE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_FACE = "Noto Sans CJK SC"

# The characters a stamp can show: Latin letters with their accents, digits, punctuation.
STAMP_CHARACTERS = [*range(0x20, 0x250), *range(0x1E00, 0x1F00), *range(0x2000, 0x2070)]
_LATIN = frozenset(STAMP_CHARACTERS)
_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_CJK = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


@dataclass(frozen=True)
class StampFont:
    """A font file (a face of a collection) and the characters to keep of it."""

    path: str
    face: int = 0
    extra: frozenset[int] = frozenset()


@cache
def _stamp_font(font: StampFont) -> bytes:
    """The font cut down to the stamp's characters, once per process (and per set of
    other letters): pyHanko parses and subsets the font it is given at every signature,
    and the whole font made that most of a signature's time."""
    options = subset.Options()
    options.layout_features = ["kern", "liga"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.font_number = font.face
    with TTFont(font.path, fontNumber=font.face) as face:
        cutter = subset.Subsetter(options)
        cutter.populate(unicodes=[*STAMP_CHARACTERS, *sorted(font.extra)])
        cutter.subset(face)
        if face["head"].unitsPerEm != 1000:  # pyHanko lays glyphs out in thousandths of an em
            scale_upem(face, 1000)
        out = io.BytesIO()
        face.save(out)
    return out.getvalue()


@cache
def _face_of(path: str, family: str) -> int:
    """The index of a family's face in a font collection (.ttc)."""
    collection = TTCollection(path, lazy=True)
    try:
        for number, face in enumerate(collection.fonts):
            if face["name"].getDebugName(1) == family:
                return number
        return 0
    finally:
        collection.close()


@dataclass(frozen=True)
class _FontFromBytes(GlyphAccumulatorFactory):
    """pyHanko's factory, with the stamp's cut of the font, in memory."""

    stamp_font: StampFont | None = None

    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: Any = None
    ) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()  # type: ignore[no-untyped-call]
        return GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(_stamp_font(self.stamp_font or StampFont(self.font_file))),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


def _stamp_font_file() -> Path | None:
    return next((path for path in STAMP_FONTS if path.exists()), None)


def warm_up() -> None:
    """Cut the stamp's font now, so that the first signature of a worker does not wait
    for it (a worker process calls this when it starts)."""
    font = _stamp_font_file()
    if font is not None:
        _stamp_font(StampFont(str(font)))


def stamp_font_for(text: str) -> StampFont | None:
    """The font that draws every letter of the stamp: the usual one for Latin text; one
    with the other scripts' letters, kept in the cut, for a name written in them."""
    extra = frozenset(ord(c) for c in text if c.isprintable()) - _LATIN
    if _CJK.search(text) and CJK_FONT.exists():
        return StampFont(str(CJK_FONT), _face_of(str(CJK_FONT), CJK_FACE), extra)
    if extra and WIDE_FONT.exists():
        return StampFont(str(WIDE_FONT), 0, extra)
    font = _stamp_font_file()
    return StampFont(str(font)) if font is not None else None


def visual_line(line: str) -> str:
    """A line of the stamp as it is drawn, left to right: Arabic letters take their joined
    forms and right-to-left words are reversed, since the stamp lays glyphs out in one
    direction (the line's own, English, is left to right)."""
    if not _RIGHT_TO_LEFT.search(line):
        return line
    return str(get_display(arabic_reshaper.reshape(line), base_dir="L"))


def text_style(text: str) -> TextBoxStyle:
    font = stamp_font_for(text)
    if font is None:
        return TextBoxStyle(font_size=7)
    factory = _FontFromBytes(font.path, font_size=7, stamp_font=font)
    return TextBoxStyle(font=factory, font_size=7)

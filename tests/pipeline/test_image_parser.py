"""Images read with OCR: corpus images, pages of a TIFF, transparency, 16-bit samples, bombs and broken files."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from bench.metrics import token_f1
from tests.pipeline.helpers import best_parser, corpus, expected_text, parse, source
from tests.pipeline.hostile import png_bomb, text_image
from webapp.pipeline.config import default_stages
from webapp.pipeline.document import Detection
from webapp.pipeline.errors import CorruptFileError, LimitExceededError
from webapp.pipeline.parsers.image import ImageParser
from webapp.pipeline.render import to_markdown, to_text
from webapp.pipeline.runner import PipelineFailed, run_pipeline

PNG = Detection("image/png")
LINES = ["Quarterly report for the board", "Revenue grew in every region"]


def _parse_png(path: Path, **options):
    return ImageParser().parse(source(path), PNG, {"ocr": "auto", "ocr_languages": ["eng"], **options})


def test_webp_matches_ground_truth() -> None:
    _, document = parse(corpus("img_docling_webp-test.webp"))
    assert token_f1(to_markdown(document), expected_text("img_docling_webp-test.webp")) >= 0.95
    assert document.signals["ocr_pages"] == 1 and document.signals["ocr_confidence"] > 85
    assert document.metadata == {"format": "WEBP", "width": 2000, "height": 2829, "page_count": 1}


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("img_tika_testOCR.png", ["This file contains some words."]),
        # 800 x 1000 without a resolution: enlarged before OCR, else "Bill Ta" at confidence 68.
        ("img_invoice_image.png", ["INVOICE", "Bill To:", "123 Main St", "Date: 2025-07-10"]),
    ],
)
def test_corpus_images_are_read(name: str, words: list[str]) -> None:
    _, document = parse(corpus(name))
    text = to_text(document)
    for word in words:
        assert word in text
    assert document.signals["ocr_confidence"] > 85


def test_image_mime_types_go_to_the_image_parser() -> None:
    for mime in ("image/png", "image/jpeg", "image/tiff", "image/webp", "image/gif", "image/bmp", "image/x-ms-bmp"):
        assert best_parser(mime).name == "image"


def test_every_tiff_page_is_read(tmp_path: Path) -> None:
    first, second = text_image(LINES[:1]), text_image(LINES[1:])
    path = tmp_path / "scan.tiff"
    first.save(path, save_all=True, append_images=[second], compression="tiff_deflate")
    _, document = parse(path)
    assert document.signals["pages"] == 2 and document.signals["ocr_pages"] == 2
    assert [(element.type, element.page) for element in document.elements] == [
        ("paragraph", 1),
        ("page_break", 2),
        ("paragraph", 2),
    ]
    assert to_text(document) == "\n\n".join(LINES)


def test_animated_gif_reads_its_first_frame_only(tmp_path: Path) -> None:
    path = tmp_path / "animated.gif"
    text_image(LINES[:1]).save(path, save_all=True, append_images=[text_image(LINES[1:])] * 3, duration=100)
    _, document = parse(path)
    assert document.signals["pages"] == 1
    assert to_text(document) == LINES[0]


def test_text_on_a_transparent_background_stays_readable(tmp_path: Path) -> None:
    """GIVEN black text on transparent pixels (a plain gray conversion turns the whole image black)."""
    path = tmp_path / "transparent.png"
    text_image(LINES, mode="RGBA").save(path)
    assert to_text(_parse_png(path)).split() == " ".join(LINES).split()


def test_sixteen_bit_gray_is_scaled_not_clipped(tmp_path: Path) -> None:
    """GIVEN 16-bit samples whose darkest ink is 2000 (a plain conversion clips everything above 255 to white)."""
    path = tmp_path / "deep.png"
    eight_bit = text_image(LINES)
    eight_bit.convert("I").point(lambda value: value * 200 + 2000).convert("I;16").save(path)
    with Image.open(path) as saved:
        assert saved.mode.startswith("I;16")
    assert LINES[0] in to_text(_parse_png(path))


def test_blank_image_is_an_empty_document(tmp_path: Path) -> None:
    path = tmp_path / "blank.png"
    Image.new("L", (600, 400), 250).save(path)
    document = _parse_png(path)
    assert document.elements == []
    assert document.signals == {"pages": 1, "empty_pages": 1, "ocr_pages": 0}


def test_decompression_bomb_is_a_limit(tmp_path: Path) -> None:
    """GIVEN a 150 KB PNG of 30000 x 30000 pixels THEN it is refused from its header, before any decoding."""
    path = png_bomb(tmp_path / "bomb.png")
    assert path.stat().st_size < 200_000
    with pytest.raises(LimitExceededError, match="too large to decode safely"):
        _parse_png(path)


def test_image_just_over_the_pixel_limit_is_refused(tmp_path: Path) -> None:
    """Between Pillow's warning and error thresholds (100-200 megapixels) the warning is an error too."""
    path = png_bomb(tmp_path / "big.png", side=12_000)
    with pytest.raises(LimitExceededError):
        _parse_png(path)


def test_truncated_image_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "truncated.png"
    path.write_bytes(corpus("img_tika_testOCR.png").read_bytes()[:3000])
    with pytest.raises(CorruptFileError, match="the image cannot be read"):
        _parse_png(path)


def test_garbage_after_a_png_signature_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "garbage.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(CorruptFileError, match="unknown or damaged image data"):
        _parse_png(path)


def test_ocr_never_leaves_an_image_unread(tmp_path: Path) -> None:
    document = _parse_png(corpus("img_tika_testOCR.png"), ocr="never")
    assert document.elements == []
    assert document.warnings == ["OCR is turned off for this pipeline (parse.ocr = never): the image was not read"]


def test_image_without_ocr_engine_fails_with_the_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCPIPE_TESSERACT_CMD", str(tmp_path / "missing"))
    with pytest.raises(PipelineFailed) as failure:
        run_pipeline(source(corpus("img_tika_testOCR.png")), default_stages())
    assert failure.value.error == {
        "type": "empty_document",
        "message": "no text could be extracted: OCR engine not installed: 1 page without text was not read "
        "(install tesseract-ocr)",
        "stage": "parse",
        "retryable": False,
    }

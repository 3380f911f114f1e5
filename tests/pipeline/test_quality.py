"""The quality score: high for clean text, low and explained for empty, unreadable, garbled or page-less output."""

from __future__ import annotations

from pathlib import Path

from webapp.pipeline.document import Element, ParsedDocument
from webapp.pipeline.enrich.quality import assess_quality

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

RUSSIAN = (
    "Городские власти решили, что строительство новой библиотеки начнётся весной, но окончательная стоимость "
    "проекта пока не известна жителям города. "
)


def corpus_text(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


def prose() -> str:
    return corpus_text("txt_war-and-peace-1225p.txt")[100_000:120_000]


def test_clean_prose_scores_high_without_warnings():
    result = assess_quality(ParsedDocument(), prose())

    assert result["score"] >= 0.9
    assert result["warnings"] == []


def test_clean_corpus_documents_score_high():
    for name in (
        "md_docling_wiki.md",
        "pdf_sec10q_2023_Q1_AMZN.pdf.expected.txt",
        "pdf_arxiv_2201.00151.pdf.expected.txt",
    ):
        assert assess_quality(ParsedDocument(), corpus_text(name))["score"] >= 0.9, name


def test_result_has_the_documented_shape():
    document = ParsedDocument(signals={"pages": 4, "empty_pages": 0, "encoding_repairs": 0})

    result = assess_quality(document, prose())

    assert set(result) == {"score", "signals", "warnings"}
    assert 0.0 <= result["score"] <= 1.0
    assert result["score"] == round(result["score"], 3)
    signals = result["signals"]
    for key in ("chars", "words", "unreadable_share", "mojibake_share", "dictionary_share", "empty_page_share"):
        assert key in signals
    assert signals["chars"] == len(prose())
    assert signals["chars_per_page"] == round(len(prose()) / 4, 1)
    assert signals["pages"] == 4


def test_empty_extraction_scores_zero():
    for text in ("", "  \n\n\t "):
        result = assess_quality(ParsedDocument(), text)

        assert result["score"] == 0.0
        assert result["warnings"] == ["no text extracted"]


def test_all_pages_empty_scores_low_with_a_page_warning():
    """GIVEN a 10-page document whose parser found no text on any page (only a stray header came through)
    WHEN scoring THEN the score is low and the warning suggests a scan without OCR."""
    document = ParsedDocument(signals={"pages": 10, "empty_pages": 10})

    result = assess_quality(document, "ACME Corporation confidential quarterly report prepared for the board")

    assert result["score"] < 0.3
    assert "10 of 10 pages have no text — a scan without OCR?" in result["warnings"]


def test_some_empty_pages_cost_in_proportion():
    document = ParsedDocument(signals={"pages": 12, "empty_pages": 3})

    result = assess_quality(document, prose())

    assert 0.7 < result["score"] < 0.9
    assert result["warnings"] == ["3 of 12 pages have no text"]
    assert result["signals"]["empty_page_share"] == 0.25


def test_empty_pages_are_derived_from_elements_when_the_parser_does_not_count_them():
    elements = [Element(type="paragraph", text=f"Text of page {page}.", page=page) for page in (1, 2, 3)]
    document = ParsedDocument(elements=elements, signals={"pages": 10})

    result = assess_quality(document, prose())

    assert "7 of 10 pages have no text — a scan without OCR?" in result["warnings"]


def test_replacement_characters_score_low():
    """GIVEN prose where every third character was replaced by U+FFFD WHEN scoring THEN it is low and says why."""
    text = "".join("\ufffd" if index % 3 == 0 else char for index, char in enumerate(prose()))

    result = assess_quality(ParsedDocument(), text)

    assert result["score"] < 0.3
    assert any("of characters are unreadable (U+FFFD replacement characters" in w for w in result["warnings"])


def test_mojibake_scores_low_with_the_garbled_warning():
    """GIVEN Russian text whose UTF-8 bytes were decoded as Latin-1 (every letter became two, like 'Ð³')
    WHEN scoring THEN the score is low and the warning names mojibake."""
    text = (RUSSIAN * 40).encode("utf-8").decode("latin-1")

    result = assess_quality(ParsedDocument(), text)

    assert result["score"] < 0.3
    assert any(w.startswith("text looks garbled (mojibake") for w in result["warnings"])
    assert result["signals"]["mojibake_share"] > 0.3


def test_real_mojibake_in_the_corpus_is_noticed():
    """GIVEN a corpus file whose dashes are UTF-8 read as Latin-1 ('â\\x80\\x93') WHEN scoring THEN it is flagged."""
    result = assess_quality(ParsedDocument(), corpus_text("txt_norwich-city.txt"))

    assert result["score"] < 0.9
    assert any("mojibake such as 'â\\x80\\x93'" in w for w in result["warnings"])


def test_pdf_font_codes_are_unreadable():
    text = "The (cid:72)(cid:85)(cid:79) total (cid:3)(cid:4) was " * 200

    result = assess_quality(ParsedDocument(), text)

    assert result["score"] < 0.3
    assert any("(cid:NN) font codes" in w for w in result["warnings"])


def test_garbage_tokens_lower_the_dictionary_share():
    text = " ".join(["ﬁ ﬂ Ã©tÃ© x§§y ¤¤a qq^ww ~~p~~"] * 300)

    result = assess_quality(ParsedDocument(), text)

    assert result["signals"]["dictionary_share"] < 0.5
    assert result["score"] < 0.5


def test_codes_and_single_letters_are_not_garbage():
    text = "Sheet1 col-3 R2 x0 10-K a) (b) X, " * 100 + prose()[:2000]

    result = assess_quality(ParsedDocument(), text)

    assert result["signals"]["dictionary_share"] >= 0.9
    assert result["score"] >= 0.9


def test_very_little_text_for_many_pages_is_flagged():
    document = ParsedDocument(signals={"pages": 40, "empty_pages": 0})

    result = assess_quality(document, "Annual report. Contents. Appendix. " * 10)

    assert result["score"] < 0.9
    assert any(w.startswith("very little text for a 40-page document") for w in result["warnings"])


def test_low_ocr_confidence_is_penalised():
    document = ParsedDocument(signals={"ocr_confidence": 45.0})

    result = assess_quality(document, prose())

    assert result["score"] < 0.5
    assert "OCR confidence is low (45/100) — expect misread words" in result["warnings"]
    assert result["signals"]["ocr_confidence"] == 45.0


def test_encoding_repairs_are_reported():
    document = ParsedDocument(signals={"encoding_repairs": 12})

    result = assess_quality(document, prose())

    assert "12 undecodable bytes were replaced" in result["warnings"]
    assert result["signals"]["encoding_repairs"] == 12


def test_parser_warnings_and_signals_are_carried_through():
    """GIVEN parser warnings with a duplicate and a clean text WHEN scoring
    THEN the warnings come first, once each, in order, and the parser's signals are kept."""
    document = ParsedDocument(
        warnings=["table on page 3 was split", "font without Unicode map", "table on page 3 was split"],
        signals={"pages": 2, "empty_pages": 2, "parser": "pdfium"},
    )

    result = assess_quality(document, prose())

    assert result["warnings"] == [
        "table on page 3 was split",
        "font without Unicode map",
        "2 of 2 pages have no text — a scan without OCR?",
    ]
    assert result["signals"]["parser"] == "pdfium"


def test_empty_text_keeps_parser_warnings():
    document = ParsedDocument(warnings=["password-protected images skipped"])

    result = assess_quality(document, "")

    assert result["warnings"] == ["password-protected images skipped", "no text extracted"]


def test_word_count_from_the_enrich_stage_is_reused():
    document = ParsedDocument(metadata={"word_count": 1234})

    assert assess_quality(document, prose())["signals"]["words"] == 1234


def test_three_megabytes_are_sampled_and_score_high():
    """Speed is measured in make bench; here only that a long clean text is sampled and scored high."""
    text = corpus_text("txt_war-and-peace-1225p.txt")
    assert len(text) >= 3_000_000
    result = assess_quality(ParsedDocument(signals={"pages": 1225, "empty_pages": 0}), text)

    assert result["score"] >= 0.9
    assert result["signals"]["sampled"] is True

"""The chunk stage: its place in a pipeline, its options checked when a pipeline is saved (422 field paths), the
tokenizers an operator installs, and a run through the runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipeline.chunking_helpers import chunk, document, heading, para, train_tokenizer
from tests.pipeline.helpers import corpus, source
from webapp.pipeline.chunking.tokenizers import (
    TOKENIZERS_ENV,
    TokenizerUnavailableError,
    available_tokenizers,
    check_tokenizer,
    get_tokenizer,
)
from webapp.pipeline.config import OPTIONAL_STAGES, StageConfig, default_stages, validate_stages
from webapp.pipeline.registry import STAGE_ORDER
from webapp.pipeline.runner import PipelineFailed, run_pipeline


def _stages(**options) -> list[dict]:
    names = ["ingest", "detect", "parse", "enrich", "chunk", "output"]
    return [{"name": name, "options": options if name == "chunk" else {}} for name in names]


def _errors(**options) -> dict[str, str]:
    _, errors = validate_stages(_stages(**options))
    return {error.field: error.message for error in errors}


@pytest.fixture
def tokenizers_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    train_tokenizer(tmp_path, "mini")
    train_tokenizer(tmp_path / "BAAI", "bge-mini")
    (tmp_path / "flat.json").write_text((tmp_path / "mini" / "tokenizer.json").read_text())
    (tmp_path / "broken.json").write_text("{not json")
    monkeypatch.setenv(TOKENIZERS_ENV, str(tmp_path))
    return tmp_path


def test_chunk_sits_between_enrich_and_output_and_the_default_pipeline_leaves_it_out() -> None:
    assert STAGE_ORDER == ("ingest", "detect", "parse", "enrich", "chunk", "output")
    assert OPTIONAL_STAGES == ("chunk",)
    assert [config.name for config in default_stages()] == ["ingest", "detect", "parse", "enrich", "output"]
    assert _errors() == {}


def test_chunk_after_output_is_out_of_order() -> None:
    stages = _stages()
    stages[4], stages[5] = stages[5], stages[4]
    _, errors = validate_stages(stages)
    assert [error.field for error in errors] == ["stages[5].name"]


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"strategy": "by_chapter"}, "strategy", "must be one of: by_title, by_tokens, by_page, by_element"),
        ({"max_tokens": 8}, "max_tokens", "must be at least 16"),
        ({"max_tokens": 9000}, "max_tokens", "must be at most 8192"),
        ({"max_tokens": "512"}, "max_tokens", "must be an integer"),
        ({"overlap_tokens": -1}, "overlap_tokens", "must be at least 0"),
        ({"overlap_tokens": 512}, "overlap_tokens", "must be below max_tokens: at most half of it (256)"),
        (
            {"max_tokens": 64, "overlap_tokens": 33},
            "overlap_tokens",
            "must be below max_tokens: at most half of it (32)",
        ),
        ({"include_headings": "yes"}, "include_headings", "must be true or false"),
        ({"min_tokens": 0}, "min_tokens", "must be at least 1"),
        ({"tokenizer": "gpt2"}, "tokenizer", 'must be "words" or "hf:NAME"'),
        ({"chunk_size": 10}, "chunk_size", "unknown option for stage 'chunk'"),
    ],
)
def test_options_are_checked_when_a_pipeline_is_saved(options: dict, field: str, message: str) -> None:
    errors = _errors(**options)
    assert list(errors) == [f"stages[4].options.{field}"]
    assert errors[f"stages[4].options.{field}"].startswith(message)


def test_overlap_up_to_half_of_max_tokens_is_accepted() -> None:
    assert _errors(max_tokens=64, overlap_tokens=32) == {}


def test_without_a_tokenizers_folder_only_words_is_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKENIZERS_ENV, raising=False)
    assert available_tokenizers() == ["words"]
    assert _errors(tokenizer="hf:bert-base-uncased")["stages[4].options.tokenizer"].startswith(
        f"no tokenizers are installed: set {TOKENIZERS_ENV}"
    )


def test_installed_tokenizer_files_are_offered_and_accepted(tokenizers_dir: Path) -> None:
    assert available_tokenizers() == ["words", "hf:BAAI/bge-mini", "hf:broken", "hf:flat", "hf:mini"]
    for name in ("hf:mini", "hf:flat", "hf:BAAI/bge-mini"):
        assert check_tokenizer(name) is None, name
        assert _errors(tokenizer=name) == {}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("hf:missing", "tokenizer 'missing' is not installed"),
        ("hf:../mini", "'../mini' is not a tokenizer name"),
        ("hf:/etc/passwd", "'/etc/passwd' is not a tokenizer name"),
        ("hf:broken", "tokenizer 'broken' cannot be read"),
    ],
)
def test_a_tokenizer_that_is_not_there_is_a_validation_error(tokenizers_dir: Path, name: str, message: str) -> None:
    assert _errors(tokenizer=name)["stages[4].options.tokenizer"].startswith(message)


def test_a_huggingface_tokenizer_counts_the_chunks(tokenizers_dir: Path) -> None:
    tokenizer = get_tokenizer("hf:mini")
    text = "The quarterly report shows that revenue grew in every region."
    assert tokenizer.count(text) < len(text) and tokenizer.count(text) > 0
    doc = document(heading("Report"), para(" ".join([text] * 40)), para("x" * 3000))
    chunks = chunk(doc, tokenizer, max_tokens=64)  # the helper checks token_count == count(text) <= 64
    assert len(chunks) > 10
    # A 3,000-character "word" is cut between tokens.
    assert all("x" * 10 in item["text"] for item in chunks[-3:])
    overlapping = chunk(doc, tokenizer, max_tokens=64, overlap_tokens=16)
    assert len(overlapping) > len(chunks)


def test_a_tokenizer_removed_after_saving_fails_the_job_with_its_own_type(tokenizers_dir: Path) -> None:
    (tokenizers_dir / "flat.json").unlink()
    with pytest.raises(TokenizerUnavailableError):
        get_tokenizer("hf:flat")
    stages = [StageConfig(item["name"], item["options"]) for item in _stages(tokenizer="hf:flat")]
    with pytest.raises(PipelineFailed) as failure:
        run_pipeline(source(corpus("md_docling_wiki.md")), stages)
    assert failure.value.error["stage"] == "chunk" and failure.value.error["type"] == "tokenizer_unavailable"


def test_a_pipeline_with_the_chunk_stage_returns_chunks() -> None:
    stages = [StageConfig(item["name"], item["options"]) for item in _stages(max_tokens=64)]
    result = run_pipeline(source(corpus("md_docling_wiki.md")), stages)
    assert "chunk" in result["timings"] and len(result["chunks"]) > 3
    element_ids = {element["id"] for element in result["elements"]}
    assert all(set(item["element_ids"]) <= element_ids for item in result["chunks"])
    assert result["chunks"][0]["headings"] == ["IBM"]


def test_the_default_pipeline_returns_no_chunks() -> None:
    """Without the chunk stage the result has no ``chunks`` at all (the API's result as before the stage)."""
    result = run_pipeline(source(corpus("md_docling_wiki.md")), default_stages())
    assert "chunks" not in result


def test_an_empty_result_has_no_chunks_and_no_error(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text(" \n\n  \n")
    stages = _stages()
    stages[5]["options"] = {"fail_on_empty": False}
    result = run_pipeline(source(path), [StageConfig(item["name"], item["options"]) for item in stages])
    assert result["chunks"] == [] and result["text"] == ""


def test_a_spreadsheet_repeats_its_first_row_when_the_parser_declared_no_header() -> None:
    stages = [StageConfig(item["name"], item["options"]) for item in _stages(max_tokens=16)]
    result = run_pipeline(source(corpus("xlsx_docling_xlsx_01.xlsx")), stages)
    sheet1 = [item for item in result["chunks"] if item["headings"] == ["Sheet1"]]
    assert len(sheet1) == 2
    assert all(item["text"].startswith("Sheet1\n\nfirst\tsecond\tthird\n") for item in sheet1)

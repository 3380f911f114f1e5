"""DOCPIPE_MAX_RESULT_MB: a result too large to store fails the output stage, typed, before it leaves the child."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.pipeline.helpers import corpus, source
from webapp.pipeline.config import default_stages
from webapp.pipeline.resultsize import json_size
from webapp.pipeline.runner import PipelineFailed, run_pipeline
from webapp.pipeline.sandbox import Limits, run_isolated


def _one_line_csv(tmp_path: Path, megabytes: int) -> Path:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(["cell"] * (megabytes * 1024 * 1024 // 5)) + "\n", encoding="utf-8")
    return path


def test_the_estimate_is_close_to_the_serialised_size() -> None:
    output = run_pipeline(source(corpus("html_tika_testHTML.html")), default_stages())
    actual = len(json.dumps(output, ensure_ascii=False).encode())
    assert 0.8 * actual <= json_size(output) <= 1.1 * actual


def test_the_estimate_walks_any_depth() -> None:
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert json_size(deep) == 3 * 100_000 + 2


def test_a_result_over_the_cap_fails_typed_with_its_size_and_the_setting(tmp_path: Path) -> None:
    """GIVEN a CSV of one 2 MB line (its text, Markdown and table each hold it) and a cap of 1 MB."""
    path = _one_line_csv(tmp_path, 2)
    with pytest.raises(PipelineFailed) as failure:
        run_isolated(source(path), default_stages(), limits=Limits(max_result_mb=1))
    error = failure.value.error
    assert (error["type"], error["stage"], error["retryable"]) == ("limit_exceeded", "output", False)
    size = int(error["message"].split("would be ")[1].split(" MB")[0])
    assert size >= 6  # three copies of 2 MB at least
    assert error["message"] == f"the result would be {size} MB; DOCPIPE_MAX_RESULT_MB is 1"


def test_a_result_under_the_cap_or_without_a_cap_is_returned(tmp_path: Path) -> None:
    path = _one_line_csv(tmp_path, 2)
    assert run_isolated(source(path), default_stages(), limits=Limits(max_result_mb=0))["text"]
    assert run_isolated(source(path), default_stages(), limits=Limits(max_result_mb=64))["text"]

"""Every corpus spreadsheet, presentation and e-mail through the whole default pipeline: success or a typed error.

The MANIFEST marks the bad_* files; each must end as the failure its note describes (or succeed where the text is
still readable), never as an "internal" error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipeline.helpers import CORPUS, source
from webapp.pipeline.config import default_stages
from webapp.pipeline.runner import PipelineFailed, run_pipeline

PREFIXES = ("xlsx_", "pptx_", "eml_", "msg_", "bad_xlsx_", "bad_pptx_", "bad_eml_", "bad_msg_")
PARSERS = {"xlsx": "xlsx", "pptx": "pptx", "eml": "email", "msg": "msg"}
# File -> (stage, error type) for the ones that must fail.
FAILURES = {
    "bad_xlsx_password_protected.xlsx": ("detect", "encrypted_file"),
    "bad_msg_fake-encrypted.msg": ("parse", "encrypted_file"),
    "bad_eml_empty.eml": ("output", "empty_document"),  # spaces and newlines only
}


def _files() -> list[str]:
    names = sorted(path.name for path in CORPUS.glob("*") if path.name.startswith(PREFIXES))
    return [name for name in names if ".expected." not in name]


def test_the_corpus_has_files_of_every_format() -> None:
    kinds = {name.split("_")[0] for name in _files() if not name.startswith("bad_")}
    assert kinds == set(PARSERS)


@pytest.mark.parametrize("name", _files())
def test_corpus_file_succeeds_or_fails_with_a_typed_error(name: str) -> None:
    path: Path = CORPUS / name
    if name in FAILURES:
        with pytest.raises(PipelineFailed) as failure:
            run_pipeline(source(path), default_stages())
        assert (failure.value.error["stage"], failure.value.error["type"]) == FAILURES[name]
        return
    result = run_pipeline(source(path), default_stages())
    kind = name.removeprefix("bad_").split("_")[0]
    assert result["metadata"]["parser"] == PARSERS[kind]
    assert result["text"].strip()
    assert result["quality"]["score"] is not None

"""The child side of bench/compare.py: one tool over groups of corpus files, in a process of its own.

    .venv/bin/python bench/compare_child.py TOOL JOB.json OUT.json

JOB.json: {"warmup": path, "groups": [[path, ...], ...]}. The warm-up file is converted first and not timed (imports
and first-call costs). OUT.json: per file the outcome, wall and CPU seconds and token F1 against the ground truth;
per group the process's peak RSS so far (VmHWM; Tesseract's processes not included).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.metrics import token_f1  # noqa: E402

# A tool's converter: a file to its Markdown (raw: text) and, for the pipeline, ms per stage and pages read by OCR.
Converter = Callable[[Path], tuple[str, dict]]


def raw_converter() -> Converter:
    import pypdfium2 as pdfium

    def convert(path: Path) -> tuple[str, dict]:
        pdf, parts = pdfium.PdfDocument(path), []
        try:
            for index in range(len(pdf)):
                page = pdf[index]
                textpage = page.get_textpage()
                parts.append(textpage.get_text_range())
                textpage.close()
                page.close()
        finally:
            pdf.close()
        return "\n".join(parts), {}

    return convert


def ours_converter(ocr: str) -> Converter:
    from webapp.pipeline.config import StageConfig, default_stages
    from webapp.pipeline.document import Source
    from webapp.pipeline.runner import run_pipeline

    overrides = {"output": {"formats": ["text", "markdown"]}}
    if ocr != "auto":
        overrides["parse"] = {"ocr": ocr}
    stages = [StageConfig(config.name, overrides.get(config.name, {})) for config in default_stages()]

    def convert(path: Path) -> tuple[str, dict]:
        source = Source(path=path, filename=path.name, size_bytes=path.stat().st_size)
        result = run_pipeline(source, stages)
        ocr_pages = result["quality"]["signals"].get("ocr_pages", 0)
        return result["markdown"], {"stage_ms": result["timings"], "ocr_pages": ocr_pages}

    return convert


def markitdown_converter() -> Converter:
    from markitdown import MarkItDown

    converter = MarkItDown(enable_plugins=False)
    return lambda path: (converter.convert_local(str(path)).text_content, {})


CONVERTERS: dict[str, Callable[[], Converter]] = {
    "raw": raw_converter,
    "ours": lambda: ours_converter("never"),
    "ours-ocr": lambda: ours_converter("auto"),
    "markitdown": markitdown_converter,
}


def cpu_seconds() -> float:
    """This process and its finished children (Tesseract): less sensitive to other load than wall time."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def peak_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def ground_truth(path: Path) -> str | None:
    for suffix in (".expected.md", ".expected.txt"):
        expected = path.with_name(path.name + suffix)
        if expected.exists():
            return expected.read_text(encoding="utf-8", errors="replace")
    return None


def convert_one(convert: Converter, path: Path) -> dict:
    began, began_cpu = time.perf_counter(), cpu_seconds()
    error, kind, info = None, None, {}
    try:
        text, info = convert(path)
        if not text.strip():
            error, kind = "empty output", "empty"
    except Exception as exc:  # noqa: BLE001 (any tool's failure counts the same)
        text, error = "", f"{type(exc).__name__}: {str(exc)[:160]}"
        details = getattr(exc, "error", None)  # the pipeline's typed error (PipelineFailed)
        kind = details["type"] if isinstance(details, dict) else type(exc).__name__
    seconds, cpu = time.perf_counter() - began, cpu_seconds() - began_cpu
    reference = ground_truth(path)
    f1 = token_f1(text, reference) if reference is not None and error is None else None
    record = {"file": path.name, "ok": error is None, "error": error, "error_type": kind, "seconds": seconds}
    record |= {"cpu_s": cpu, "has_truth": reference is not None, "f1": f1, "stage_ms": {}, "ocr_pages": 0, **info}
    return record | {"peak_rss_kib": peak_rss_kib()}  # the high-water mark so far: shows which file raised it


def child_main(tool: str, job: Path, out: Path) -> None:
    plan = json.loads(job.read_text())
    started = time.perf_counter()
    convert = CONVERTERS[tool]()
    convert(Path(plan["warmup"]))  # lazy imports and first-call costs stay out of the per-file times
    startup = time.perf_counter() - started
    groups = []
    for files in plan["groups"]:
        records = [convert_one(convert, Path(name)) for name in files]
        groups.append({"records": records, "peak_rss_kib": peak_rss_kib()})
    out.write_text(json.dumps({"tool": tool, "startup_s": startup, "groups": groups}))


def main() -> None:
    tool, job, out = sys.argv[1:4]
    child_main(tool, Path(job), Path(out))


if __name__ == "__main__":
    main()

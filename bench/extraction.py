"""Extraction benchmark over the shared corpus: PDF speed against raw PDFium, and token F1 against ground truth.

    .venv/bin/python bench/extraction.py [--corpus PATH] [--repeat N]

Speed: every text PDF (pdf_*, not pdf_scan_*), one process, raw pypdfium2 get_text_range versus PdfParser plus
both renderers, best of N alternating runs. Quality: every corpus file with NAME.expected.md/.txt whose format has a
parser here; F1 over lower-cased \\w+ tokens (multisets), the definition tests/pipeline/conftest.py uses.
Per format: every corpus file that is neither a PDF nor an image (those have their own measures), detected and
parsed like the parse stage does, best of N: files read, typed failures, ms per file and mean F1 where ground
truth exists.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pypdfium2 as pdfium  # noqa: E402

from bench.metrics import token_f1  # noqa: E402
from webapp.pipeline.base import Parser  # noqa: E402
from webapp.pipeline.detect import detect  # noqa: E402
from webapp.pipeline.document import Source  # noqa: E402
from webapp.pipeline.errors import StageError, UnsupportedFormatError  # noqa: E402
from webapp.pipeline.parsers import BUILTIN_PARSERS  # noqa: E402
from webapp.pipeline.parsers.pdf import PdfParser  # noqa: E402
from webapp.pipeline.render import to_markdown, to_text  # noqa: E402

OPTIONS = {"ocr": "never", "ocr_languages": ["eng"], "max_pages": 100000, "tables": True}


def parser_for(mime_type: str) -> Parser:
    """The registry's choice, without importing the stages (the bench measures parsers only)."""
    scored = [(parser.mime_types[mime_type], parser) for parser in BUILTIN_PARSERS if mime_type in parser.mime_types]
    if not scored:
        raise UnsupportedFormatError(f"no parser for {mime_type}")
    return max(scored, key=lambda pair: pair[0])[1]()


def source_for(path: Path) -> Source:
    return Source(path=path, filename=path.name, size_bytes=path.stat().st_size)


def each_page(files: list[Path], work: Callable[[pdfium.PdfPage, pdfium.PdfTextPage], object]) -> int:
    """Open every page of ``files`` and its text page, hand both to ``work``, close them; the pages done."""
    pages = 0
    for path in files:
        pdf = pdfium.PdfDocument(path)
        try:
            for index in range(len(pdf)):
                page = pdf[index]
                textpage = page.get_textpage()
                work(page, textpage)
                textpage.close()
                page.close()
                pages += 1
        finally:
            pdf.close()
    return pages


def raw_pass(files: list[Path]) -> int:
    """The floor: PDFium's own text of every page, nothing else."""
    return each_page(files, lambda _page, textpage: textpage.get_text_range())


def our_pass(files: list[Path]) -> int:
    parser, pages = PdfParser(), 0
    for path in files:
        document = parser.parse(source_for(path), detect(source_for(path)), OPTIONS)
        to_text(document)
        to_markdown(document)
        pages += document.signals["pages"]
    return pages


def speed(corpus: Path, repeat: int) -> None:
    files = sorted(path for path in corpus.glob("pdf_*.pdf") if not path.name.startswith("pdf_scan_"))
    raw_pass(files)  # warm the page cache so neither side pays for disk reads
    best: dict[str, tuple[float, int]] = {}
    for _ in range(repeat):
        for name, run in (("raw", raw_pass), ("ours", our_pass)):
            started = time.perf_counter()
            pages = run(files)
            elapsed = time.perf_counter() - started
            if name not in best or elapsed < best[name][0]:
                best[name] = (elapsed, pages)
    print(f"PDF speed over {len(files)} text PDFs, best of {repeat}:")
    rates = {}
    for name, (elapsed, pages) in best.items():
        rates[name] = pages / elapsed
        print(f"  {name:5s} {pages} pages in {elapsed:.2f} s = {rates[name]:.0f} pages/s")
    print(f"  ours / raw = {rates['ours'] / rates['raw']:.2f}\n")


def quality(corpus: Path) -> None:
    by_format: dict[str, list[float]] = defaultdict(list)
    print(f"{'file':52s} {'format':9s} {'F1 md':>6s} {'F1 txt':>6s}  note")
    for expected in sorted(corpus.glob("*.expected.*")):
        path = corpus / expected.name.rsplit(".expected.", 1)[0]
        note = ""
        try:
            detection = detect(source_for(path))
            parser = parser_for(detection.mime_type)
        except StageError as exc:
            print(f"{path.name:52s} {'-':9s} {'':>6s} {'':>6s}  skipped: {exc.message[:60]}")
            continue
        started = time.perf_counter()
        document = parser.parse(source_for(path), detection, OPTIONS)
        reference = expected.read_text(encoding="utf-8", errors="replace")
        f1_md = token_f1(to_markdown(document), reference)
        f1_text = token_f1(to_text(document), reference)
        elapsed = time.perf_counter() - started
        kind = parser.name + ("-scan" if path.name.startswith("pdf_scan_") else "")
        if kind == "pdf-scan":
            note = "needs OCR (later issue)"
        by_format[kind].append(f1_md)
        print(f"{path.name:52s} {kind:9s} {f1_md:6.3f} {f1_text:6.3f}  {elapsed * 1000:.0f} ms {note}")
    print("\nMean F1 (Markdown output) per format:")
    for kind, scores in sorted(by_format.items()):
        print(f"  {kind:9s} {sum(scores) / len(scores):.3f}  ({len(scores)} files)")
    supported = [score for kind, scores in by_format.items() if kind != "pdf-scan" for score in scores]
    every = [score for scores in by_format.values() for score in scores]
    print(f"  all (without scans) {sum(supported) / len(supported):.3f}  ({len(supported)} files)")
    print(f"  all (with scans)    {sum(every) / len(every):.3f}  ({len(every)} files)")


def formats(corpus: Path, repeat: int) -> None:
    """ms per file and mean F1 for every parser over the corpus files that are neither PDFs nor images."""
    files = sorted(
        path
        for path in corpus.iterdir()
        if path.is_file()
        and ".expected." not in path.name
        and path.name not in ("README.md", "MANIFEST.tsv")
        and not path.name.startswith(("pdf_", "img_", "bad_pdf_"))
    )
    rows: dict[str, dict[str, list]] = defaultdict(lambda: {"ms": [], "f1": [], "failed": []})
    for path in files:
        kind, best, document, failure = "(detect)", float("inf"), None, None
        for _ in range(repeat):
            started = time.perf_counter()
            try:
                detection = detect(source_for(path))
                parser = parser_for(detection.mime_type)
                kind = parser.name
                document = parser.parse(source_for(path), detection, OPTIONS)
                to_markdown(document)
            except StageError as exc:
                failure = exc.type
            best = min(best, time.perf_counter() - started)
        row = rows[kind]
        row["ms"].append(best * 1000)
        if failure:
            row["failed"].append(f"{path.name}: {failure}")
        reference = _ground_truth(path)
        if document is not None and reference is not None:
            row["f1"].append(token_f1(to_markdown(document), reference))
    print(f"\nPer format over the corpus (no PDFs, no images), best of {repeat}:")
    print(f"  {'parser':14s} {'files':>5s} {'failed':>6s} {'ms/file':>8s} {'max ms':>7s} {'F1 md':>6s}")
    for kind, row in sorted(rows.items()):
        f1 = f"{sum(row['f1']) / len(row['f1']):6.3f}" if row["f1"] else f"{'-':>6s}"
        mean = sum(row["ms"]) / len(row["ms"])
        print(f"  {kind:14s} {len(row['ms']):5d} {len(row['failed']):6d} {mean:8.1f} {max(row['ms']):7.1f} {f1}")
        for failed in row["failed"]:
            print(f"    typed failure: {failed}")


def _ground_truth(path: Path) -> str | None:
    for suffix in (".expected.md", ".expected.txt"):
        expected = path.with_name(path.name + suffix)
        if expected.exists():
            return expected.read_text(encoding="utf-8", errors="replace")
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    speed(args.corpus, args.repeat)
    quality(args.corpus)
    formats(args.corpus, args.repeat)


if __name__ == "__main__":
    main()

"""Chunking: its cost against parsing, its memory on the 1,225-page text, and whether BM25 finds the right chunk.

    .venv/bin/python bench/chunks.py [--quick] [--json PATH]

1. Time: each corpus PDF is parsed once (layout on, the parse stage's defaults) and chunked with every strategy;
   ms per 100 pages for both, and chunking as a share of parsing (the goal: at most 10 %). ``hf`` rows count with a
   byte-level BPE tokenizer.json trained here (no tokenizer may be downloaded): slower than words, as real ones are.
2. Memory: a child process parses ``txt_war-and-peace-1225p.txt`` and runs the pipeline with and without the chunk
   stage; its peak RSS (the worker's budget: 300 MB).
3. Retrieval: questions are built from ground-truth sentences (the corpus's ``*.expected.*`` files), drawn with a
   fixed seed: "words" asks with 3 of a sentence's content words, "section" with 2 of them and the words of the
   Markdown heading above it. Every document's chunks go into one SQLite FTS5 index; a question is answered when
   one of its 5 best chunks by ``bm25()`` holds the sentence (one of three 6-word runs of it). Only questions
   whose sentence is in the extracted text count. by_title (the stage's defaults) is set
   beside plain 512-token windows (by_tokens without headings) and by_tokens with headings.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import CORPUS, REPO
from webapp.pipeline.chunking import ChunkSettings, chunk_dicts, chunk_document
from webapp.pipeline.chunking.tokenizers import HFTokenizer, Tokenizer, WordTokenizer
from webapp.pipeline.detect import detect
from webapp.pipeline.document import ParsedDocument, Source
from webapp.pipeline.registry import parser_for, stage_class

PDFS = [
    "pdf_large_GeoTopo_117p.pdf",
    "pdf_large_ciml.pdf",
    "pdf_arxiv_2201.00151.pdf",
    "pdf_sec10q_2023_Q1_AMZN.pdf",
    "pdf_docling_redp5110_sampled.pdf",
]
LONG_TEXT = "txt_war-and-peace-1225p.txt"
STRATEGIES = ("by_title", "by_tokens", "by_page", "by_element")
RETRIEVAL = {
    "by_title": {"strategy": "by_title"},
    "plain 512-token windows": {"strategy": "by_tokens", "include_headings": False},
    "by_tokens + headings": {"strategy": "by_tokens"},
}
QUESTIONS_PER_DOC = 25
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "by",
        "with",
        "as",
        "at",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "from",
        "which",
        "who",
        "whom",
        "what",
        "when",
        "where",
        "how",
        "not",
        "no",
        "but",
        "if",
        "then",
        "than",
        "so",
        "such",
        "can",
        "may",
        "will",
        "would",
        "should",
        "could",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "their",
        "there",
        "they",
        "them",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "his",
        "her",
        "i",
    ]
)
_TOKEN = re.compile(r"[^\W_]+")


def parse(path: Path) -> tuple[ParsedDocument, float]:
    source = Source(path=path, filename=path.name, size_bytes=path.stat().st_size)
    detection = detect(source)
    options = stage_class("parse").defaults()
    started = time.perf_counter()
    document = parser_for(detection.mime_type).parse(source, detection, options)
    return document, time.perf_counter() - started


def chunked(document: ParsedDocument, tokenizer: Tokenizer, **options: Any) -> tuple[list[dict], float]:
    started = time.perf_counter()
    chunks = chunk_dicts(document, chunk_document(document, ChunkSettings(**options), tokenizer))
    return chunks, time.perf_counter() - started


def bpe_tokenizer(folder: Path) -> HFTokenizer:
    """A byte-level BPE (GPT-2 style) trained on corpus text: a real tokenizer.json, made here."""
    from tokenizers import Tokenizer as RustTokenizer
    from tokenizers import models, pre_tokenizers, trainers

    tokenizer = RustTokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=8000, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    sample = (CORPUS / "txt_norwich-city.txt").read_text(encoding="utf-8").splitlines()
    tokenizer.train_from_iterator(sample, trainer=trainer)
    path = folder / "bpe.json"
    tokenizer.save(str(path))
    return HFTokenizer("hf:bpe", path)


def timing(files: list[str], tokenizers: dict[str, Tokenizer]) -> list[dict[str, Any]]:
    rows = []
    for name in files:
        document, parse_s = parse(CORPUS / name)
        pages = max(len(document.pages), 1)
        for label, tokenizer in tokenizers.items():
            for strategy in STRATEGIES:
                chunks, chunk_s = chunked(document, tokenizer, strategy=strategy)
                rows.append(
                    {
                        "file": name,
                        "pages": pages,
                        "tokenizer": label,
                        "strategy": strategy,
                        "chunks": len(chunks),
                        "parse_ms_per_100p": round(parse_s * 1000 * 100 / pages, 1),
                        "chunk_ms_per_100p": round(chunk_s * 1000 * 100 / pages, 1),
                        "chunk_vs_parse_pct": round(100 * chunk_s / parse_s, 2),
                    }
                )
    return rows


def memory() -> dict[str, Any]:
    """Peak RSS of a fresh process running the whole pipeline on the long text, without and with the chunk stage."""
    figures = {}
    for mode in ("default", "chunk"):
        done = subprocess.run(
            [sys.executable, __file__, "--memory-child", mode], capture_output=True, text=True, check=True, cwd=REPO
        )
        figures[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _memory_child(mode: str) -> None:
    from webapp.pipeline.config import StageConfig, default_stages
    from webapp.pipeline.runner import run_pipeline

    path = CORPUS / LONG_TEXT
    stages = default_stages()
    if mode == "chunk":
        stages = [*stages[:4], StageConfig("chunk"), stages[4]]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = run_pipeline(Source(path=path, filename=path.name, size_bytes=path.stat().st_size), stages)
    figures = {
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_mb": round(before / 1024, 1),
        "chunks": len(result.get("chunks", [])),  # a pipeline without the chunk stage has no "chunks"
        "timings_ms": result["timings"],
    }
    print(json.dumps(figures))


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def questions(ground_truth: str, rng: random.Random) -> dict[str, list[tuple[str, list[str]]]]:
    """Questions of two kinds, each with three 6-word runs of the sentence it asks about (12-60 words):
    "words": 3 of its content words; "section": 2 of them and the content words of the heading it sits under (only
    where the ground truth has Markdown headings), as in "what does the section on X say about Y"."""
    pairs = _sentences(ground_truth)
    picked = rng.sample(pairs, min(QUESTIONS_PER_DOC, len(pairs)))
    out: dict[str, list[tuple[str, list[str]]]] = {"words": [], "section": []}
    for heading, sentence in picked:
        tokens = _tokens(sentence)
        content = [token for token in tokens if token not in STOPWORDS and len(token) > 1]
        if len(tokens) < 12 or len(content) < 6:
            continue
        runs = [" ".join(tokens[i : i + 6]) for i in (0, len(tokens) // 2 - 3, len(tokens) - 6)]
        out["words"].append((_query(rng.sample(content, 3)), runs))
        topic = [token for token in _tokens(heading) if token not in STOPWORDS and len(token) > 1][:4]
        if topic:
            out["section"].append((_query(rng.sample(content, 2) + topic), runs))
    return out


def _query(words: list[str]) -> str:
    return " OR ".join(f'"{word}"' for word in dict.fromkeys(words))


def _sentences(ground_truth: str) -> list[tuple[str, str]]:
    """(the Markdown heading above it or "", sentence) for prose sentences of 12-60 words."""
    heading, pairs = "", []
    for line in ground_truth.splitlines():
        if re.match(r"#{1,6} ", line):
            heading = line.lstrip("#").strip()
            continue
        if line.lstrip().startswith("|"):
            continue  # table rows are not sentences
        text = " ".join(re.sub(r"[*_`>\[\]()]", " ", line).split())
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if 12 <= len(sentence.split()) <= 60:
                pairs.append((heading, sentence))
    return pairs


def retrieval(files: list[str]) -> dict[str, dict[str, Any]]:
    rng = random.Random(16)
    documents = {name: parse(CORPUS / name)[0] for name in files}
    asked = {name: questions(_ground_truth(name), rng) for name in files}
    results = {}
    for label, options in RETRIEVAL.items():
        database = sqlite3.connect(":memory:")
        database.execute("CREATE VIRTUAL TABLE chunks USING fts5(doc UNINDEXED, text)")
        texts: dict[int, str] = {}
        for name, document in documents.items():
            for item in chunked(document, WordTokenizer(), **options)[0]:
                cursor = database.execute("INSERT INTO chunks (doc, text) VALUES (?, ?)", (name, item["text"]))
                texts[int(cursor.lastrowid or 0)] = " ".join(_tokens(item["text"]))
        results[label] = {"chunks": len(texts)}
        for kind in ("words", "section"):
            results[label][kind] = _score(database, texts, [q for per_doc in asked.values() for q in per_doc[kind]])
    return results


def _score(database: sqlite3.Connection, texts: dict[int, str], asked: list[tuple[str, list[str]]]) -> dict[str, Any]:
    found = answerable = 0
    for query, runs in asked:
        if not any(run in text for text in texts.values() for run in runs):
            continue  # the sentence is not in the extracted text at all
        answerable += 1
        rows = database.execute(
            "SELECT rowid FROM chunks WHERE chunks MATCH ? ORDER BY bm25(chunks) LIMIT 5", (query,)
        ).fetchall()
        if any(run in texts[rowid] for (rowid,) in rows for run in runs):
            found += 1
    return {"questions": answerable, "found": found, "recall_at_5": round(found / max(answerable, 1), 3)}


def _ground_truth(name: str) -> str:
    for suffix in (".expected.md", ".expected.txt"):
        path = CORPUS / (name + suffix)
        if path.exists():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError(name)


def ground_truth_files(quick: bool) -> list[str]:
    names = sorted(p.name.split(".expected.")[0] for p in CORPUS.glob("*.expected.*"))
    names = [n for n in names if not n.startswith(("img_", "pdf_scan", "pptx_", "csv_", "xlsx_"))]
    return names[::3] if quick else names


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="two PDFs, a third of the ground truth")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        _memory_child(args.memory_child)
        return
    with tempfile.TemporaryDirectory() as folder:
        tokenizers = {"words": WordTokenizer(), "hf": bpe_tokenizer(Path(folder))}
        report = {"timing": timing(PDFS[:2] if args.quick else PDFS, tokenizers)}
    report["memory"] = memory()
    report["retrieval"] = retrieval(ground_truth_files(args.quick))
    _print(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


def _print(report: dict[str, Any]) -> None:
    print("\nChunking time per 100 pages (parse: layout on)")
    print(f"{'file':36} {'tok':5} {'strategy':10} {'chunks':>6} {'parse ms':>9} {'chunk ms':>9} {'% parse':>8}")
    for row in report["timing"]:
        print(
            f"{row['file']:36} {row['tokenizer']:5} {row['strategy']:10} {row['chunks']:>6} "
            f"{row['parse_ms_per_100p']:>9} {row['chunk_ms_per_100p']:>9} {row['chunk_vs_parse_pct']:>8}"
        )
    print(f"\nMemory, whole pipeline on {LONG_TEXT}")
    for mode, figures in report["memory"].items():
        print(f"  {mode:8} peak RSS {figures['peak_rss_mb']} MB, {figures['seconds']} s, {figures['chunks']} chunks")
    print("\nRetrieval: recall@5, BM25 (SQLite FTS5) over every document's chunks")
    for label, figures in report["retrieval"].items():
        cells = [
            f"{kind}: {figures[kind]['recall_at_5']:.3f} ({figures[kind]['found']}/{figures[kind]['questions']})"
            for kind in ("words", "section")
        ]
        print(f"  {label:26} {figures['chunks']:>5} chunks   " + "   ".join(cells))


if __name__ == "__main__":
    main()

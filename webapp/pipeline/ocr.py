"""Tesseract OCR through its command-line program: one short process per page image, words and confidences as TSV.

The program is found as ``tesseract`` on PATH, or at ``DOCPIPE_TESSERACT_CMD``. Measured on the corpus scans
(2 cores): starting the program costs ~70 ms per page with ``eng`` (~240 ms with four languages), against 0.4-1.3 s
of recognition per 300 dpi page, and buys process isolation: a stuck or crashing OCR page is killed alone, and
the sandbox's time limit reaches it through the process group. Each process gets ``OMP_THREAD_LIMIT=1``; pages
run in parallel instead (see ``OcrPool``), which uses both cores better than OpenMP inside one page.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from webapp.pipeline.layout.model import Rule
from webapp.pipeline.ocr_rules import ink_mask, turn_box

TESSERACT_ENV = "DOCPIPE_TESSERACT_CMD"
WORKERS_ENV = "DOCPIPE_OCR_WORKERS"
DEFAULT_MAX_PAGES = 200
OCR_DPI = 300
# 40 megapixels is an A2 page at 300 dpi: bigger pages are rendered (or images shrunk) below 300 dpi.
MAX_OCR_PIXELS = 40_000_000
# An image whose darkest and lightest pixels differ less than this is blank: no OCR process for it.
BLANK_CONTRAST = 32
# Pages read with less mean word confidence than this get an orientation check (upright text scores 85-96).
ORIENTATION_BELOW_CONFIDENCE = 60.0
MIN_WORDS_FOR_ORIENTATION = 3
MIN_ORIENTATION_CONFIDENCE = 1.0
ORIENTATION_MIN_SIDE = 600
# One page never takes this long on a sane image; the sandbox's limit usually ends a document earlier.
PAGE_TIMEOUT_SECONDS = 120
_LANGUAGE = re.compile(r"[a-z]{3}(?:_[a-z]+)*|script/[A-Za-z_]+")
_NOT_LANGUAGES = {"osd", "equ"}
# Per program path: what ``--list-langs`` said (a language pack added later needs a worker restart).
_languages: dict[str, frozenset[str]] = {}


class OcrUnavailableError(Exception):
    """The Tesseract program cannot be run (not installed, or DOCPIPE_TESSERACT_CMD points nowhere)."""


class OcrPageError(Exception):
    """Tesseract ran but could not read this one image."""


@dataclass(slots=True)
class OcrWord:
    """One word as Tesseract found it, in pixels of the image it read (see ``OcrPage.rotation``)."""

    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float
    # Tesseract's block, paragraph and line numbers: the words of one line share them.
    line: tuple[int, int, int]


@dataclass(slots=True)
class OcrPage:
    """One image's text: paragraphs in Tesseract's reading order, each a list of lines, with word confidences."""

    paragraphs: list[list[str]] = field(default_factory=list)
    confidence_sum: float = 0.0
    words: int = 0
    # The words with their boxes, in Tesseract's order.
    boxes: list[OcrWord] = field(default_factory=list)
    # Degrees (clockwise) the image was turned before it was read (see ``recognise``): the boxes are in the
    # turned image, upright text; 0 when it was read as given.
    rotation: int = 0

    @property
    def confidence(self) -> float | None:
        return self.confidence_sum / self.words if self.words else None


OcrResult = OcrPage | OcrUnavailableError | OcrPageError


@dataclass(slots=True)
class OcrStats:
    """What a document's OCR amounted to, as quality signals."""

    pages: int = 0
    confidence_sum: float = 0.0
    words: int = 0
    failed: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, page: OcrPage) -> None:
        self.pages += 1
        self.confidence_sum += page.confidence_sum
        self.words += page.words

    def fail(self, number: int, error: Exception) -> None:
        self.failed.append(number)
        self.errors.append(str(error))

    def signals(self) -> dict[str, Any]:
        signals: dict[str, Any] = {"ocr_pages": self.pages}
        if self.words:
            signals["ocr_confidence"] = round(self.confidence_sum / self.words, 1)
        return signals


def tesseract_cmd() -> str:
    return os.environ.get(TESSERACT_ENV) or "tesseract"


def installed_languages() -> frozenset[str] | None:
    """The languages Tesseract can read here, or None when the program is missing (asked again next time, so
    installing Tesseract needs no restart)."""
    cmd = tesseract_cmd()
    if cmd not in _languages:
        try:
            done = subprocess.run([cmd, "--list-langs"], capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if done.returncode != 0:
            return None
        lines = done.stdout.decode("utf-8", "replace").splitlines()
        _languages[cmd] = frozenset(line.strip() for line in lines[1:] if line.strip()) - _NOT_LANGUAGES
    return _languages[cmd]


def check_languages(value: Any) -> str | None:
    """Option validator for ``parse.ocr_languages``: well-formed codes that are installed (when Tesseract is)."""
    if not value:
        return 'must name at least one language, e.g. ["eng"]'
    if len(value) > 8:
        return "at most 8 languages"
    malformed = [code for code in value if not _LANGUAGE.fullmatch(code) or code in _NOT_LANGUAGES]
    if malformed:
        return f"{malformed[0]!r} is not a Tesseract language code (three letters, e.g. eng, deu, chi_sim)"
    if len(set(value)) != len(value):
        return "lists a language more than once"
    installed = installed_languages()
    if installed is None:
        return None  # the worker warns at run time; the web server may run without Tesseract
    missing = [code for code in value if code not in installed]
    if missing:
        return f"language {missing[0]!r} is not installed; installed: {', '.join(sorted(installed))}"
    return None


def resolve_languages(requested: list[str]) -> tuple[str, list[str]]:
    """The ``-l`` argument for the requested languages, and warnings for those no longer installed."""
    installed = installed_languages()
    if installed is None:
        raise OcrUnavailableError(f"the OCR program {tesseract_cmd()!r} cannot be run")
    usable = [code for code in requested if code in installed]
    warnings = []
    missing = [code for code in requested if code not in installed]
    if missing:
        fallback = usable or (["eng"] if "eng" in installed else sorted(installed)[:1])
        warnings.append(f"OCR languages not installed: {', '.join(missing)}; read with {'+'.join(fallback)}")
        usable = fallback
    if not usable:
        raise OcrUnavailableError("Tesseract has no language data installed")
    return "+".join(usable), warnings


def unavailable_warning(pages: int) -> str:
    """The warning (and, for image-only input, the error hint) when Tesseract cannot be run."""
    counted = "1 page without text was" if pages == 1 else f"{pages} pages without text were"
    return f"OCR engine not installed: {counted} not read"


def is_blank(image: Image.Image) -> bool:
    low, high = image.getextrema()
    return high - low < BLANK_CONTRAST


def to_pgm(image: Image.Image) -> bytes:
    """Raw PGM: the cheapest encoding to hand over (PNG would cost ~100 ms per page to compress)."""
    gray = image if image.mode == "L" else image.convert("L")
    header = f"P5\n{gray.width} {gray.height}\n255\n".encode("ascii")
    return header + gray.tobytes()


def recognise(image: Image.Image, languages: str, dpi: int | None = None) -> OcrPage:
    """OCR one image; a page read with low confidence is turned upright first if Tesseract finds it rotated.

    Tesseract's layout analysis copes with some turned pages but reads upside-down ones as garbage; its orientation
    detection costs another pass, so it runs only for pages that read badly.
    """
    data = to_pgm(image)
    page = recognise_pgm(data, languages, dpi)
    if page.words < MIN_WORDS_FOR_ORIENTATION or (page.confidence or 0.0) >= ORIENTATION_BELOW_CONFIDENCE:
        _fit_to_ink(page, image)
        _turn_sideways(page, *image.size)
        return page
    # Orientation needs no fine detail: at half resolution it finds the same answer in 0.25 s instead of 0.6.
    half = min(image.size) >= 2 * ORIENTATION_MIN_SIDE
    rotate = detect_rotation(to_pgm(image.reduce(2)), dpi // 2 if dpi else None) if half else detect_rotation(data, dpi)
    if not rotate:
        return page
    # Tesseract's "Rotate" is clockwise; Pillow turns counter-clockwise.
    upright = image.rotate(-rotate, expand=True)
    turned = recognise_pgm(to_pgm(upright), languages, dpi)
    if (turned.confidence or 0.0) <= (page.confidence or 0.0):
        _fit_to_ink(page, image)
        return page
    _fit_to_ink(turned, upright)
    turned.rotation = rotate
    return turned


def _fit_to_ink(page: OcrPage, image: Image.Image) -> None:
    """Shrink each word's box to the ink inside it.

    Tesseract's boxes of small print may reach well above or below the letters (measured on 16 px text: 21 px
    for 13 px of ink, for some words of a line and not others), which would make one font size look like two
    and put table cells on different baselines. ~7 ms per A4 page at 300 dpi, plus ~5 us a word.
    """
    ink = ink_mask(image)
    for box in page.boxes:
        found = ink.crop((box.left, box.top, box.left + box.width, box.top + box.height)).getbbox()
        if found:
            x0, y0, x1, y1 = found
            box.left, box.top, box.width, box.height = box.left + x0, box.top + y0, x1 - x0, y1 - y0


def _turn_sideways(page: OcrPage, width: int, height: int) -> None:
    """Turn the boxes of a page read sideways upright, and set ``page.rotation``.

    Tesseract reads lines running down or up the page by itself, at full confidence, but leaves their boxes as
    they lie: words taller than wide. The order of the words along a line tells which way the text runs.
    """
    long_words = [box for box in page.boxes if len(box.text) >= 3]
    tall = sum(1 for box in long_words if box.height > box.width)
    if tall < MIN_WORDS_FOR_ORIENTATION or tall < 0.6 * len(long_words):
        return
    steps = [word.top - previous.top for previous, word in itertools.pairwise(page.boxes) if previous.line == word.line]
    down = sum(1 for step in steps if step > 0)
    if not steps or down * 2 == len(steps):
        return
    # Text running down is an upright page turned 90 degrees clockwise: another 270 sets it upright.
    page.rotation = 270 if down * 2 > len(steps) else 90
    for box in page.boxes:
        turned = turn_box(
            Rule(box.left, box.top, box.left + box.width, box.top + box.height), page.rotation, width, height
        )
        box.left, box.top = round(turned.x0), round(turned.y0)
        box.width, box.height = round(turned.x1 - turned.x0), round(turned.y1 - turned.y0)


def recognise_pgm(data: bytes, languages: str, dpi: int | None = None) -> OcrPage:
    return parse_tsv(_tesseract(data, ["-l", languages], dpi, "tsv"))


def detect_rotation(data: bytes, dpi: int | None = None) -> int:
    """Degrees (clockwise) to turn the image upright per Tesseract's orientation detection; 0 when unsure."""
    try:
        report = _tesseract(data, ["--psm", "0"], dpi)
    except OcrPageError:
        return 0  # too little text to tell, or no osd.traineddata
    found = dict(line.split(":", 1) for line in report.splitlines() if ":" in line)
    try:
        rotate = int(found.get("Rotate", "0").strip())
        confidence = float(found.get("Orientation confidence", "0").strip())
    except ValueError:
        return 0
    return rotate if rotate in (90, 180, 270) and confidence >= MIN_ORIENTATION_CONFIDENCE else 0


def _tesseract(data: bytes, arguments: list[str], dpi: int | None, *configs: str) -> str:
    command = [tesseract_cmd(), "stdin", "stdout", *arguments]
    if dpi:
        command += ["--dpi", str(dpi)]
    command += configs
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(
            command, input=data, capture_output=True, env=env, timeout=PAGE_TIMEOUT_SECONDS, check=False
        )
    except FileNotFoundError:
        raise OcrUnavailableError(f"the OCR program {command[0]!r} was not found") from None
    except PermissionError:
        raise OcrUnavailableError(f"the OCR program {command[0]!r} cannot be run (permission denied)") from None
    except subprocess.TimeoutExpired:
        raise OcrPageError(f"OCR took longer than {PAGE_TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrPageError(detail[-1] if detail else f"tesseract exited with status {done.returncode}")
    return done.stdout.decode("utf-8", "replace")


def parse_tsv(tsv: str) -> OcrPage:
    """Group Tesseract's word rows (level 5) into lines and paragraphs by their block/paragraph/line numbers."""
    page = OcrPage()
    current_par: tuple[str, str] | None = None
    current_line: tuple[str, str, str] | None = None
    for row in tsv.split("\n")[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5":
            continue
        word = cells[11].strip()
        if not word:
            continue
        block, par, line = cells[2], cells[3], cells[4]
        if (block, par) != current_par:
            page.paragraphs.append([])
            current_par, current_line = (block, par), None
        if (block, par, line) != current_line:
            page.paragraphs[-1].append(word)
            current_line = (block, par, line)
        else:
            page.paragraphs[-1][-1] += " " + word
        try:
            confidence = float(cells[10])
            box = OcrWord(word, *(int(cell) for cell in cells[6:10]), confidence, (int(block), int(par), int(line)))
        except ValueError:
            continue
        if confidence >= 0:  # -1: a layout row (block, paragraph, line), not a word read
            page.confidence_sum += confidence
            page.words += 1
            page.boxes.append(box)
    return page


def default_workers() -> int:
    configured = os.environ.get(WORKERS_ENV, "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, len(os.sched_getaffinity(0)))


class OcrPool:
    """Pages OCR'd in parallel, results in submission order, with at most ``workers + 1`` page images held.

    Threads only wait for Tesseract processes, so they cost no CPU themselves; the caller renders the next
    page while the previous ones are being read.
    """

    def __init__(self, languages: str, workers: int | None = None) -> None:
        self.languages = languages
        self.workers = workers or default_workers()
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="ocr")
        self._pending: deque[tuple[Any, Future[OcrPage]]] = deque()

    def submit(self, key: Any, image: Image.Image, dpi: int | None = None) -> list[tuple[Any, OcrResult]]:
        """Queue one image; return the results of earlier pages that had to finish to keep memory bounded."""
        self._pending.append((key, self._executor.submit(recognise, image, self.languages, dpi)))
        finished = []
        while len(self._pending) > self.workers:
            finished.append(self._pop())
        return finished

    def drain(self) -> list[tuple[Any, OcrResult]]:
        finished = []
        while self._pending:
            finished.append(self._pop())
        return finished

    def close(self) -> None:
        for _, future in self._pending:
            future.cancel()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> OcrPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pop(self) -> tuple[Any, OcrResult]:
        key, future = self._pending.popleft()
        try:
            return key, future.result()
        except (OcrUnavailableError, OcrPageError) as exc:
            return key, exc

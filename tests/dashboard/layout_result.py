"""A two-page PDF drawn with reportlab and the result layout analysis gives for it, stored on its job by hand, so
the result viewer's boxes are tested on known elements whatever the layout engine finds."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from webapp.extensions import db
from webapp.models import Result
from webapp.pipeline.document import Element, Page, ParsedDocument, Table, assign_ids, element_dict
from webapp.pipeline.render import to_markdown, to_text

WIDTH, HEIGHT = A4
ROWS = [["Region", "Depots"], ["North", "12"], ["=South", "-9"]]


def report_pdf() -> bytes:
    """Page 1: a title, a heading and a paragraph; page 2: a ruled table; a running footer on both."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setFont("Helvetica-Bold", 20)
    canvas.drawString(56, HEIGHT - 80, "Fleet Report")
    canvas.setFont("Helvetica-Bold", 14)
    canvas.drawString(56, HEIGHT - 120, "1 Depots")
    canvas.setFont("Helvetica", 11)
    canvas.drawString(56, HEIGHT - 145, "Every region opened a depot this year.")
    canvas.drawString(280, 30, "Page 1")
    canvas.showPage()
    canvas.setFont("Helvetica", 11)
    for number, row in enumerate(ROWS):
        y = HEIGHT - 100 - 20 * number
        canvas.drawString(60, y, row[0])
        canvas.drawString(200, y, row[1])
        canvas.line(56, y - 6, 300, y - 6)
    canvas.drawString(280, 30, "Page 2")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def report_layout() -> ParsedDocument:
    """What layout analysis finds on ``report_pdf``: boxes in points from each page's top-left corner."""
    document = ParsedDocument(
        elements=[
            Element("title", "Fleet Report", page=1, bbox=(56, 62, 180, 84)),
            Element("heading", "1 Depots", level=1, page=1, bbox=(56, 108, 120, 124)),
            Element("paragraph", "Every region opened a depot this year.", page=1, bbox=(56, 136, 260, 150)),
            Element("page_footer", "Page 1", page=1, bbox=(280, 803, 312, 815)),
            Element("table", "", page=2, table_index=0, bbox=(56, 88, 300, 148)),
            Element("page_footer", "Page 2", page=2, bbox=(280, 803, 312, 815)),
        ],
        tables=[Table([list(row) for row in ROWS], page=2, header_rows=1, bbox=(56, 88, 300, 148))],
        pages=[Page(1, WIDTH, HEIGHT), Page(2, WIDTH, HEIGHT)],
        metadata={"page_count": 2},
    )
    assign_ids(document)
    return document


def store_layout(app, job_id: str, document: ParsedDocument) -> dict:
    """Replace the job's stored result with ``document`` as the output stage stores it; returns its parts."""
    parts = {
        "text": to_text(document),
        "markdown": to_markdown(document),
        "elements": [element_dict(element, document.tables) for element in document.elements],
        "tables": [table.to_dict() for table in document.tables],
        "pages": [page.to_dict() for page in document.pages],
    }
    with app.app_context():
        result = db.session.get(Result, job_id)
        for name, value in parts.items():
            setattr(result, name, value)
        db.session.commit()
        db.session.remove()
    return parts


CHUNK_STAGES = ("ingest", "detect", "parse", "enrich", "chunk", "output")


def chunk_pipeline(app, name: str = "chunked") -> str:
    """A pipeline with the chunk stage (the dashboard shows a Chunks tab for its jobs); returns its name."""
    from webapp.services import pipelines

    with app.app_context():
        pipelines.create_pipeline({"name": name, "stages": [{"name": stage} for stage in CHUNK_STAGES]})
        db.session.remove()
    return name


def store_chunks(app, job_id: str, document: ParsedDocument, **settings) -> list[dict]:
    """Give the job's stored result the chunks of ``document`` as the chunk stage cuts them with ``settings``."""
    from webapp.pipeline.chunking import ChunkSettings, chunk_dicts, chunk_document

    chunks = chunk_dicts(document, chunk_document(document, ChunkSettings(**settings)))
    with app.app_context():
        db.session.get(Result, job_id).chunks = chunks
        db.session.commit()
        db.session.remove()
    return chunks

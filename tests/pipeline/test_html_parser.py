from __future__ import annotations

import time
from pathlib import Path

import pytest

from bench.metrics import token_f1
from tests.pipeline.helpers import OPTIONS, corpus, expected_text, parse, source
from tests.pipeline.hostile import nested_tags
from webapp.pipeline.document import Detection
from webapp.pipeline.parsers.html import HtmlParser
from webapp.pipeline.parsers.html_flatten import MAX_HTML_DEPTH, flatten_deep_markup
from webapp.pipeline.render import to_markdown, to_text


def _html(tmp_path: Path, markup: str, *, encoding: str = "utf-8", mime_type: str = "text/html", **options):
    path = tmp_path / "page.html"
    path.write_bytes(markup.encode(encoding))
    return HtmlParser().parse(source(path), Detection(mime_type, encoding=encoding), {**OPTIONS, **options})


def test_docling_example_structure_and_text() -> None:
    name = "html_docling_example_03.html"
    _, document = parse(corpus(name))
    markdown = to_markdown(document)
    assert token_f1(markdown, expected_text(name)) >= 0.95
    assert "# Example Document\n\n## Introduction" in markdown
    assert "- First item in unordered list\n  - Nested item 1" in markdown
    assert "1. First item in ordered list\n   1. Nested ordered item 1\n   2. Nested ordered item 2" in markdown
    assert document.tables[0].rows[0] == ["Header 1", "Header 2", "Header 3"]
    assert len(document.tables[0].rows) == 4


def test_rich_table_cells() -> None:
    name = "html_docling_html_rich_table_cells.html"
    _, document = parse(corpus(name))
    assert token_f1(to_markdown(document), expected_text(name)) >= 0.75
    assert len(document.tables) == 5  # the table nested in the third is a table of its own
    captions = [element.text for element in document.elements if element.type == "caption"]
    assert captions[0] == "Basic duck facts"
    teal = next(row for row in document.tables[0].rows if row[0] == "Teal")
    assert teal[1] == "Pond\nMarsh\nRiverbank"


def test_wikipedia_page_is_clean() -> None:
    _, document = parse(corpus("html_wiki_world_war_ii.html"))
    text = to_text(document)
    assert document.metadata["title"] == "World War II - Wikipedia"
    headings = {element.text for element in document.elements if element.type == "heading"}
    assert {"World War II", "Background", "Aftermath"} <= headings
    assert "RLCONF" not in text and "function(" not in text  # inline scripts
    assert "Main page" not in text  # site navigation
    assert "Germany invaded Poland" in text


def test_html_saved_with_a_pdf_extension_is_parsed_as_html() -> None:
    detection, document = parse(corpus("bad_pdf_is_html_derived.pdf"))
    assert detection.mime_type == "text/html"
    assert document.metadata["title"] == "Title : Test Indexation Html"
    assert document.metadata["author"] == "Tika Developers"


PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>Shop</title><style>p { color: red }</style>
<script>var secret = "script text";</script></head>
<body>
<header><a href="/">Site logo</a></header>
<nav><ul><li>Menu entry</li></ul></nav>
<main>
  <article>
    <header><h1>Real <em>title</em></h1></header>
    <p>First   paragraph
       with <b>bold</b> text.<br>Second line.</p>
    <div hidden>hidden div</div><span style="display: none">invisible span</span>
    <template><p>template text</p></template><noscript>enable javascript</noscript>
    <form><input type="hidden" value="token"><select><option>Option text</option></select></form>
    <blockquote><p>Quoted words.</p></blockquote>
    <pre>  indented
    code</pre>
    <h2>Table</h2>
    <table>
      <tr><th>Name</th><th colspan="2">Contact</th></tr>
      <tr><td rowspan="2">Ada</td><td>mail</td><td>phone</td></tr>
      <tr><td>fax</td><td>pager</td></tr>
    </table>
  </article>
</main>
<aside>Related links</aside>
<footer>Copyright footer</footer>
</body></html>"""


def test_content_is_kept_and_chrome_dropped(tmp_path: Path) -> None:
    document = _html(tmp_path, PAGE)
    text = to_text(document)
    dropped = [
        *("script text", "color: red", "Site logo", "Menu entry", "hidden div", "invisible span", "template text"),
        *("enable javascript", "token", "Option text", "Related links", "Copyright footer"),
    ]
    assert [snippet for snippet in dropped if snippet in text] == []
    kinds = [(element.type, element.text) for element in document.elements if element.type != "table"]
    assert kinds == [
        ("heading", "Real title"),
        ("paragraph", "First paragraph with bold text.\nSecond line."),
        ("quote", "Quoted words."),
        ("code", "  indented\n    code"),
        ("heading", "Table"),
    ]
    assert document.tables[0].rows == [["Name", "Contact", ""], ["Ada", "mail", "phone"], ["", "fax", "pager"]]
    assert document.metadata == {"title": "Shop", "lang": "en"}


def test_page_without_h1_gets_its_title_as_title_element(tmp_path: Path) -> None:
    document = _html(tmp_path, "<html><head><title>Only title</title></head><body><p>Body</p></body></html>")
    assert [(element.type, element.text) for element in document.elements] == [
        ("title", "Only title"),
        ("paragraph", "Body"),
    ]


def test_meta_charset_decides_the_encoding(tmp_path: Path) -> None:
    markup = '<html><head><meta charset="windows-1252"></head><body><p>Café – “quoted”</p></body></html>'
    document = _html(tmp_path, markup, encoding="cp1252")
    assert to_text(document) == "Café – “quoted”"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_byte_order_marks_decide_the_encoding_and_vanish(tmp_path: Path, encoding: str) -> None:
    document = _html(tmp_path, "<p>Grüße</p>", encoding=encoding)
    assert to_text(document) == "Grüße"


def test_a_utf16_meta_declaration_on_an_ascii_readable_page_is_ignored(tmp_path: Path) -> None:
    document = _html(tmp_path, '<meta charset="utf-16"><p>Grüße</p>', encoding="utf-8")
    assert to_text(document) == "Grüße"


def test_xhtml_entities_are_never_expanded_from_files(tmp_path: Path) -> None:
    """GIVEN XHTML whose DTD declares an external entity pointing at a local file (XXE)."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    markup = (
        f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>before &xxe; after</p></body></html>'
    )
    document = _html(tmp_path, markup, mime_type="application/xhtml+xml")
    assert "TOP SECRET" not in to_text(document)
    assert "before" in to_text(document)


def test_tables_option_off(tmp_path: Path) -> None:
    document = _html(tmp_path, PAGE, tables=False)
    assert document.tables == []
    assert "pager" in to_text(document)


@pytest.mark.parametrize("markup", ["", "   \n  ", "<!-- only a comment -->"])
def test_empty_pages_give_an_empty_document(tmp_path: Path, markup: str) -> None:
    assert _html(tmp_path, markup).elements == []


def test_deep_nesting_is_read_flat_without_overflowing(tmp_path: Path) -> None:
    markup = "<div>" * 1500 + "deep text" + "</div>" * 1500 + "<p>after</p>"
    document = _html(tmp_path, markup)
    assert to_text(document) == "deep text\n\nafter"
    assert document.warnings == []


@pytest.mark.parametrize("depth", [3_000, 200_000])
def test_nesting_beyond_the_parsers_limit_keeps_the_text_flat_with_a_warning(tmp_path: Path, depth: int) -> None:
    """GIVEN elements nested past libxml2's 2,048 levels, which would drop the rest of the page (and, at 200,000
    levels with text only at the bottom, leave an empty document)."""
    inner = "<p>deep <b>text</b></p><script>var hidden = '<i>';</script>"
    markup = "<p>before</p>" + nested_tags("div", depth, inner) + "<p>after</p>"
    started = time.monotonic()
    document = _html(tmp_path, markup)
    assert time.monotonic() - started < 5  # a generous bound: about 0.4 s at 200,000 levels
    assert to_text(document).split() == ["before", "deep", "text", "after"]
    assert len(document.warnings) == 1
    assert f"deeper than {MAX_HTML_DEPTH} levels (limit max_html_depth)" in document.warnings[0]


def test_flattening_keeps_the_tags_above_the_limit_and_drops_those_below() -> None:
    markup = "<section>" + nested_tags("div", 4, "<b a='>'>x</b> &amp; <style>p{}</style>y") + "</section></i>"
    flat, dropped = flatten_deep_markup(markup, max_depth=3)
    assert flat == "<section><div><div>   x  &amp;  y  </div></div></section>"  # the stray </i> is ignored
    assert dropped == 4  # two <div>s, the <b> (its quoted ">" is no tag end) and the <style> with its content

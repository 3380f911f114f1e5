"""Table finding on generated pages: ruled grids, booktabs, whitespace-aligned statements, and pages with none.

Each page is drawn with reportlab from known rows (``layout_fixtures``) and described as the ``PageInput`` a word
extractor would give; every test asserts the rows exactly.
"""

from __future__ import annotations

import math
import time

import pytest

from tests.pipeline.layout_fixtures import (
    LOREM,
    FixturePage,
    booktabs_rows,
    draw_cells,
    draw_grid,
    draw_statement,
    ocr_like,
)
from webapp.pipeline.layout.lines import make_line, page_lines
from webapp.pipeline.layout.model import Line, PageInput, PageTable, Rule, Word
from webapp.pipeline.layout.tables import find_tables

GRID_ROWS = [
    ["Region", "Stores", "Revenue", "Staff"],
    ["North", "12", "4,210", "96"],
    ["South", "8", "2,975", "61"],
    ["East", "15", "5,102", "120"],
    ["West", "4", "1,338", "30"],
]


def tables_of(page: FixturePage | PageInput) -> list[PageTable]:
    data = page.page_input() if isinstance(page, FixturePage) else page
    return find_tables(data, page_lines(data.words))


def words_inside(page: FixturePage, box: tuple[float, float, float, float]) -> list[str]:
    x0, y0, x1, y1 = box
    return [w.text for w in page.words if x0 <= (w.x0 + w.x1) / 2 <= x1 and y0 <= (w.y0 + w.y1) / 2 <= y1]


def close(box: tuple[float, float, float, float], expected: tuple[float, float, float, float]) -> bool:
    return all(abs(a - b) <= 1.0 for a, b in zip(box, expected, strict=True))


# --- ruled grids ---------------------------------------------------------------------------------------------


def test_ruled_grid_gives_its_rows_header_and_box() -> None:
    page = FixturePage()
    page.paragraph(72, 60, 460, LOREM)
    page.text(72, 190, "Table 1. Stores by region", 9)
    truth, box = draw_grid(page, 72, 200, [120, 80, 90, 70], GRID_ROWS)
    page.paragraph(72, 330, 460, LOREM)

    [table] = tables_of(page)

    assert table.rows == truth
    assert table.kind == "ruled"
    assert table.header_rows == 1
    assert close(table.bbox, box)
    assert len(table.columns) == 4
    assert sorted(words_inside(page, table.bbox)) == sorted(w for row in truth for cell in row for w in cell.split())


def test_spanning_header_cells_keep_their_text_in_their_top_left_cell() -> None:
    """GIVEN a two-level header: "Model" spans two rows, "Accuracy" and "Speed" two columns each
    THEN the grid keeps every column, and each spanning text stands once, in the top-left cell it covers."""
    page = FixturePage()
    xs = [72, 160, 230, 300, 370, 440]
    ys = [100, 116, 132, 148, 164]
    cells = [
        (0, 2, 0, 1, "Model"),
        (0, 1, 1, 3, "Accuracy"),
        (0, 1, 3, 5, "Speed"),
        (1, 2, 1, 2, "train"),
        (1, 2, 2, 3, "test"),
        (1, 2, 3, 4, "cpu"),
        (1, 2, 4, 5, "gpu"),
    ]
    body = [["small", "91.2", "88.0", "12", "3"], ["large", "95.5", "90.1", "40", "7"]]
    for r, row in enumerate(body):
        cells.extend((r + 2, r + 3, c, c + 1, text) for c, text in enumerate(row))
    draw_cells(page, xs, ys, cells, bold_rows=2)

    [table] = tables_of(page)

    assert table.rows == [
        ["Model", "Accuracy", "", "Speed", ""],
        ["", "train", "test", "cpu", "gpu"],
        *body,
    ]
    assert table.header_rows == 2
    assert table.kind == "ruled"


def test_cells_of_two_lines_are_joined_with_a_space() -> None:
    page = FixturePage()
    rows = [
        ["Term", "Meaning"],
        ["Lattice\nmode", "Cells from the ruling\nlines of the page"],
        ["Stream", "Cells from whitespace\nbetween words"],
        ["Hybrid\nmode", "Both"],
    ]
    truth, _ = draw_grid(page, 72, 100, [90, 200], rows)

    [table] = tables_of(page)

    assert table.rows == truth
    assert table.rows[1] == ["Lattice mode", "Cells from the ruling lines of the page"]


def test_grid_with_inner_rules_only_takes_its_outer_edges_from_the_rules_ends() -> None:
    """GIVEN a table drawn with horizontal rules across and vertical rules only between columns (no outer box)."""
    page = FixturePage()
    xs = [72, 170, 250, 330]
    ys = [100, 116, 132, 148]
    rows = [["Name", "Size", "Type"], ["alpha", "10", "int"], ["beta", "2.5", "float"]]
    for y in ys:
        page.hline(xs[0], xs[-1], y)
    for x in xs[1:-1]:
        page.vline(x, ys[0], ys[-1])
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            page.text(xs[c] + 4, ys[r] + 11, text, 9, bold=r == 0)

    [table] = tables_of(page)

    assert table.rows == rows
    assert close(table.bbox, (72, 100, 330, 148))


# --- booktabs ------------------------------------------------------------------------------------------------


def test_booktabs_table_between_caption_and_prose() -> None:
    page = FixturePage()
    page.paragraph(72, 60, 460, LOREM)
    page.text(72, 150, "Table 2: Results on the test set (higher is better).", 9)
    rows = [
        ["Method", "Precision", "Recall", "F1"],
        ["Baseline", "71.2", "64.0", "67.4"],
        ["Ours (small)", "80.4", "77.9", "79.1"],
        ["Ours (large)", "84.0", "82.2", "83.1"],
    ]
    truth, box = booktabs_rows(page, 72, 160, [140, 90, 90, 90], rows, right_align=(1, 2, 3))
    page.paragraph(72, box[3] + 20, 460, LOREM)

    [table] = tables_of(page)

    assert table.rows == truth
    assert table.kind == "booktabs"
    assert table.header_rows == 1
    assert close(table.bbox, box)
    assert "Table" not in words_inside(page, table.bbox)
    assert "committee" not in words_inside(page, table.bbox)


def test_booktabs_cells_of_two_lines_in_padded_rows() -> None:
    page = FixturePage()
    rows = [
        ["Parameter", "Default", "Effect"],
        ["Snap\ntolerance", "2 pt", "Rules closer than this\nare one line"],
        ["Join\ntolerance", "3 pt", "Gaps shorter than this\nare closed"],
        ["Minimum\nlength", "4 pt", "Shorter marks are\nnot rules"],
    ]
    truth, _ = booktabs_rows(page, 72, 100, [110, 70, 170], rows, row_gap=6.0)

    [table] = tables_of(page)

    assert table.rows == truth


def test_a_wide_and_a_narrow_table_on_one_page() -> None:
    page = FixturePage()
    wide_rows = [
        ["Country", "Capital", "Population", "Area", "Currency"],
        ["France", "Paris", "68.0", "551,695", "Euro"],
        ["Japan", "Tokyo", "124.5", "377,975", "Yen"],
        ["Chile", "Santiago", "19.6", "756,102", "Peso"],
    ]
    wide, wide_box = booktabs_rows(page, 60, 100, [100, 100, 100, 100, 90], wide_rows)
    page.paragraph(60, wide_box[3] + 20, 490, LOREM)
    narrow_rows = [["Key", "Value"], ["depth", "3"], ["width", "12"], ["seed", "7"]]
    narrow, narrow_box = booktabs_rows(page, 200, 330, [70, 60], narrow_rows)

    tables = tables_of(page)

    assert [t.rows for t in tables] == [wide, narrow]
    assert close(tables[0].bbox, wide_box)
    assert close(tables[1].bbox, narrow_box)


# --- whitespace-aligned ----------------------------------------------------------------------------------------

STATEMENT = [
    ["Net sales:", "", ""],
    ["  Products", "$ 412,530", "$ 389,120"],
    ["  Services", "120,410", "98,200"],
    ["  Total net sales", "$ 532,940", "$ 487,320"],
    ["Operating expenses:", "", ""],
    ["  Research and development", "(120,410)", "(98,005)"],
    ["  Other income/(expense), net", "(10)", "243"],
    ["Operating margin", "23.5 %", "21.0 %"],
]


def draw_financial(page: FixturePage, top: float, underlines: bool = False) -> float:
    """Header of years under a heading that spans both columns and a statement below; returns the bottom.
    With ``underlines``: the heading underlined in one piece per column, figures above totals underlined."""
    page.text_center(440, top + 7, "Three Months Ended", 8, bold=True)
    page.text_right(380, top + 18, "2022", 8, bold=True)
    page.text_right(500, top + 18, "2021", 8, bold=True)
    bottom = draw_statement(page, 72, top + 26, [380, 500], STATEMENT) + 3
    if underlines:
        page.hline(290, 382, top + 9.5)
        page.hline(388, 502, top + 9.5)
        for row in (2, 3):  # under "Services" and doubled under "Total net sales"
            y = top + 26 + (row + 0.75) * 1.35 * 9
            page.hline(330, 382, y)
            page.hline(450, 502, y)
            if row == 3:
                page.hline(330, 382, y + 2)
                page.hline(450, 502, y + 2)
    return bottom


def test_financial_statement_keeps_dollar_signs_with_their_figures() -> None:
    """GIVEN a statement with no rules: "$" set 90 points left of right-aligned figures, negatives in
    parentheses whose ")" hangs past the column edge, a "%" set after the figure, section labels, years."""
    page = FixturePage()
    page.paragraph(72, 60, 440, LOREM)
    bottom = draw_financial(page, 150)
    page.paragraph(72, bottom + 24, 440, LOREM)

    [table] = tables_of(page)

    assert table.rows == [
        ["", "Three Months Ended", ""],
        ["", "2022", "2021"],
        *[[row[0].strip(), row[1], row[2]] for row in STATEMENT],
    ]
    assert table.kind == "aligned"
    assert table.header_rows == 2
    inside = words_inside(page, table.bbox)
    assert "committee" not in inside and "outlook" not in inside


def test_underlines_in_a_statement_widen_its_heading_and_make_no_table_of_their_own() -> None:
    page = FixturePage()
    draw_financial(page, 150, underlines=True)

    [table] = tables_of(page)

    assert table.kind == "aligned"
    assert table.rows[:3] == [
        ["", "Three Months Ended", ""],
        ["", "2022", "2021"],
        ["Net sales:", "", ""],
    ]
    assert table.rows[4] == ["Services", "120,410", "98,200"]


def test_figures_set_closer_than_a_gap_are_still_separate_cells() -> None:
    """GIVEN a statement whose columns sit so close that "(3) $" reads as one line of text."""
    page = FixturePage()
    rows = [["Cash", "$ 9,977", "$ (3)", "$ 9,974"], ["Bonds", "1,204", "(12)", "1,192"], ["Notes", "310", "—", "310"]]
    edges = [340.0, 385.0, 430.0]
    baseline = 100.0
    for row in rows:
        page.text(72, baseline, row[0], 9)
        for column, cell in enumerate(row[1:]):
            figure = cell.removeprefix("$ ")
            if figure != cell:  # the "$" right after the figure before it: "(3) $"
                page.text((edges[column - 1] if column else 300.0) + 3.0, baseline, "$", 9)
            page.text_right(edges[column] + (page.width_of(")", 9) if figure.endswith(")") else 0), baseline, figure, 9)
        baseline += 12

    [table] = tables_of(page)

    assert table.rows == rows


def test_aligned_table_box_leaves_out_the_prose_above_and_below() -> None:
    page = FixturePage()
    above = page.paragraph(72, 60, 440, LOREM)
    rows = [
        ["Office", "2021", "2022"],
        ["Berlin", "1,204", "1,377"],
        ["Lisbon", "865", "912"],
        ["Oslo", "432", "(15)"],
        ["Total", "2,501", "2,274"],
    ]
    baseline = above + 30
    for index, row in enumerate(rows):
        page.text(72, baseline, row[0], 10, bold=index == 0)
        page.text_right(330, baseline, row[1], 10, bold=index == 0)
        page.text_right(430, baseline, row[2], 10, bold=index == 0)
        baseline += 14
    page.paragraph(72, baseline + 10, 440, LOREM)

    [table] = tables_of(page)

    assert table.rows == rows
    assert table.header_rows == 1
    inside = words_inside(page, table.bbox)
    assert sorted(inside) == sorted(w for row in rows for cell in row for w in cell.split())


def test_label_wrapped_over_two_lines_joins_the_row_of_its_figures() -> None:
    page = FixturePage()
    rows = [
        ["Revenue", "1,200", "1,100"],
        ["Change in unrealized gains on marketable", "", ""],
        ["  securities, net of tax", "(3,055)", "163"],
        ["Total", "4,512", "4,310"],
    ]
    draw_statement(page, 72, 100, [420, 500], rows)

    [table] = tables_of(page)

    assert table.rows == [
        ["Revenue", "1,200", "1,100"],
        ["Change in unrealized gains on marketable securities, net of tax", "(3,055)", "163"],
        ["Total", "4,512", "4,310"],
    ]


def test_aligned_table_in_one_column_of_a_two_column_page_leaves_the_other_column_alone() -> None:
    page = FixturePage()
    page.paragraph(60, 80, 230, LOREM + " " + LOREM)
    rows = [["Unit", "Q1", "Q2"], ["Alpha", "12.5", "13.0"], ["Beta", "8.1", "9.4"], ["Gamma", "(2.0)", "1.1"]]
    baseline = 110
    for row in rows:
        page.text(320, baseline, row[0], 10)
        page.text_right(470, baseline, row[1], 10)
        page.text_right(540, baseline, row[2], 10)
        baseline += 14

    [table] = tables_of(page)

    assert table.rows == rows
    assert table.bbox[0] >= 300


# --- pages without tables --------------------------------------------------------------------------------------


def test_two_columns_of_prose_are_not_a_table() -> None:
    page = FixturePage()
    page.paragraph(60, 80, 230, LOREM + " In 2021 the board met 12 times. " + LOREM)
    page.paragraph(322, 80, 230, LOREM + " 2022 brought 4 new members. " + LOREM)

    assert tables_of(page) == []


@pytest.mark.parametrize("marker", ["•", "1.", "a)"])
def test_a_list_is_not_a_table(marker: str) -> None:
    page = FixturePage()
    baseline = 100.0
    for index, item in enumerate(["Check the rules 12", "Snap within 2 pt", "Join the pieces 3", "Find 4 cells"]):
        label = marker if marker == "•" else marker.replace("1", str(index + 1)).replace("a", "abcd"[index])
        page.text(72, baseline, label, 10)
        page.text(90, baseline, item, 10)
        baseline += 14

    assert tables_of(page) == []


def test_a_table_of_contents_with_dot_leaders_is_not_a_table() -> None:
    page = FixturePage()
    baseline = 100.0
    for title, number in [("Introduction", "1"), ("Methods", "7"), ("Results", "15"), ("Discussion", "28")]:
        page.text(72, baseline, title + " " + ". " * 30, 10)
        page.text_right(520, baseline, number, 10)
        baseline += 14

    assert tables_of(page) == []


def test_code_is_not_a_table() -> None:
    page = FixturePage()
    code = ["x = load(path)      # 1", "y = clean(x)        # 2", "z = score(y, 0.5)   # 3", "save(z, 10)         # 4"]
    baseline = 100.0
    for line in code:
        page.text(72, baseline, line.split("#")[0].rstrip(), 9, font="Courier")
        page.text(250, baseline, "12", 9, font="Courier")
        baseline += 11

    assert tables_of(page) == []


def test_numbered_equations_are_not_a_table() -> None:
    page = FixturePage()
    baseline = 100.0
    for number, equation in enumerate(["E = m c 2", "F = m a", "p = m v"], start=1):
        page.text(250, baseline, equation, 10)
        page.text_right(520, baseline, f"({number})", 10)
        baseline += 20

    assert tables_of(page) == []


def test_a_framed_box_is_not_a_table() -> None:
    page = FixturePage()
    page.paragraph(80, 110, 400, LOREM)
    page.hline(72, 490, 100)
    page.hline(72, 490, 180)
    page.vline(72, 100, 180)
    page.vline(490, 100, 180)

    assert tables_of(page) == []


def test_a_table_of_contents_without_leaders_is_not_a_table() -> None:
    page = FixturePage()
    baseline = 100.0
    for title, number in [("Introduction", "1"), ("Methods", "7"), ("Results", "15"), ("Discussion", "28")]:
        page.text(72, baseline, title, 10)
        page.text_right(520, baseline, number, 10)
        baseline += 14

    assert tables_of(page) == []


def test_a_charts_tick_labels_are_not_a_table() -> None:
    page = FixturePage()
    page.hline(100, 400, 300)
    page.vline(100, 100, 300)
    for index, value in enumerate(["100", "75", "50", "25"]):
        page.text_right(95, 103 + index * 50, value, 8)
    for index, value in enumerate(["0", "10", "20", "30", "40", "50"]):
        page.text(100 + index * 60, 312, value, 8)
    page.text(250, 200, "3.2", 8)
    page.text(330, 150, "4.8", 8)

    assert tables_of(page) == []


def test_a_numbered_listing_between_rules_is_not_a_table() -> None:
    """GIVEN pseudo-code set like a booktabs table: rule, caption, rule, numbered lines, rule."""
    page = FixturePage()
    page.hline(72, 380, 100)
    page.text(74, 110, "Algorithm 1 Predict(tree, x)", 9, bold=True)
    page.hline(72, 380, 114)
    for number, code in enumerate(["if tree is a leaf then", "return its label", "else", "recurse on x"], 1):
        page.text(74, 114 + 12 * number, f"{number}:", 9)
        page.text(100, 114 + 12 * number, code, 9)
    page.hline(72, 380, 170)

    assert tables_of(page) == []


def test_a_pages_header_and_footer_rules_do_not_frame_a_table() -> None:
    """GIVEN a manual page: running header rule, margin headings beside numbered paragraphs, footer rule."""
    page = FixturePage()
    page.text(72, 60, "Chapter 3 Command Codes", 12)
    page.hline(72, 540, 66)
    top = 80.0
    for heading, paragraphs in [("3.1 Scope", 3), ("3.2 Purpose", 2), ("3.3 Audience", 2)]:
        page.text(72, top + 8, heading, 9, bold=True)
        for number in range(1, paragraphs + 1):
            page.text(200, top + 8, f"({number})", 9)
            top = page.paragraph(225, top, 310, LOREM, 9) + 12
    page.hline(72, 540, 740)
    page.text(72, 752, "Internal manual", 8)

    assert tables_of(page) == []


def test_a_word_run_together_across_cell_borders_is_cut_at_them() -> None:
    """GIVEN a text layer that gives the marks "X" of two cells as one word "XX" spanning a column between."""
    page = FixturePage()
    xs = [72, 250, 280, 310, 340]
    ys = [100, 115, 130, 145]
    rows = [["Action", "A", "B", "C"], ["Read", "X", "", "X"], ["Write", "X", "X", "X"]]
    for y in ys:
        page.hline(xs[0], xs[-1], y)
    for x in xs:
        page.vline(x, ys[0], ys[-1])
    for r, row in enumerate(rows):
        page.text(76, ys[r] + 11, row[0], 9)
        for c in (1, 2, 3):
            page.text_center((xs[c] + xs[c + 1]) / 2, ys[r] + 11, row[c], 9)
    data = page.page_input()
    # What a text layer without spaces between far-apart glyphs gives: "X" and "X" of row 2 as one word.
    first, last = [w for w in data.words if w.text == "X" and w.y0 < 130]
    data.words = [w for w in data.words if w not in (first, last)]
    data.words.append(Word("XX", first.x0, first.y0, last.x1, last.y1, 9.0))

    [table] = tables_of(data)

    assert table.rows == rows


def test_header_words_in_separate_columns_stay_separate_when_the_border_between_is_not_drawn() -> None:
    """GIVEN a shaded header row drawn without the column borders (only around it), body rows fully ruled."""
    page = FixturePage()
    xs = [72, 200, 330]
    ys = [100, 115, 130, 145]
    page.hline(xs[0], xs[-1], ys[0])
    for y in ys[1:]:
        page.hline(xs[0], xs[-1], y)
    page.vline(xs[0], ys[0], ys[-1])
    page.vline(xs[-1], ys[0], ys[-1])
    page.vline(xs[1], ys[1], ys[-1])
    rows = [["RESOURCE", "LOCATION"], ["Guide", "In the box"], ["Drivers", "On the web"]]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            page.text(xs[c] + 4, ys[r] + 11, text, 9, bold=r == 0)

    [table] = tables_of(page)

    assert table.rows == rows
    assert table.header_rows == 1


def test_a_header_on_a_filled_band_right_above_the_grid_is_its_first_row() -> None:
    """GIVEN column rules and row rules below a header drawn as a filled band (no rule of its own), in a larger
    size than the body."""
    page = FixturePage()
    xs = [72, 150, 300]
    ys = [115, 130, 145, 160]
    for y in ys[1:]:
        page.hline(xs[0], xs[-1], y)
    for x in xs[1:-1]:
        page.vline(x, ys[0], ys[-1])
    page.text(76, 112, "Term", 10)
    page.text(154, 112, "Meaning", 10)
    rows = [["Grid", "Rules both ways"], ["Stream", "Whitespace only"], ["Hybrid", "Some of both"]]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            page.text(xs[c] + 4, ys[r] + 11, text, 9)

    [table] = tables_of(page)

    assert table.rows == [["Term", "Meaning"], *rows]
    assert table.header_rows == 1


def test_rotated_column_headings_read_bottom_to_top() -> None:
    page = FixturePage()
    xs = [72, 250, 280, 310]
    ys = [100, 150, 165, 180, 195, 210]
    for y in ys:
        page.hline(xs[0], xs[-1], y)
    for x in xs:
        page.vline(x, ys[0], ys[-1])
    page.text(76, 115, "Command", 9, bold=True)
    # "No Authority" set bottom to top: "No" lower, "Authority" above it, one column of text.
    page.words.append(Word("No", 261, 135, 269, 147, 9.0, bold=True))
    page.words.append(Word("Authority", 261, 103, 269, 132, 9.0, bold=True))
    page.words.append(Word("Read", 291, 103, 299, 124, 9.0, bold=True))
    body = [["List the files", "X", ""], ["Drop a table", "", "X"], ["Create a view", "X", "X"], ["Grant", "X", ""]]
    for r, row in enumerate(body, start=1):
        page.text(76, ys[r] + 11, row[0], 9)
        for c in (1, 2):
            page.text_center((xs[c] + xs[c + 1]) / 2, ys[r] + 11, row[c], 9)

    [table] = tables_of(page)

    assert table.rows == [["Command", "No Authority", "Read"], *body]


# --- OCR -------------------------------------------------------------------------------------------------------


def test_ocr_grid_with_jittered_words_and_broken_slanted_rules() -> None:
    page = FixturePage()
    truth, _ = draw_grid(page, 72, 150, [120, 80, 90, 70], GRID_ROWS, size=10.0)

    [table] = tables_of(ocr_like(page.page_input()))

    assert table.rows == truth
    assert table.kind == "ruled"


def test_ocr_booktabs_with_jittered_words() -> None:
    page = FixturePage()
    rows = [["City", "Rain", "Sun"], ["Bergen", "2,250", "1,200"], ["Madrid", "420", "2,769"], ["Cairo", "25", "3,451"]]
    truth, _ = booktabs_rows(page, 72, 150, [120, 90, 90], rows, size=10.0, right_align=(1, 2))

    [table] = tables_of(ocr_like(page.page_input()))

    assert table.rows == truth


# --- robustness and speed ------------------------------------------------------------------------------------


def test_odd_input_gives_no_table_and_no_error() -> None:
    words = [
        Word("1", math.nan, 10, 20, 20, 10),
        Word("2", 30, 10, 40, 20, 0),
        Word("x", 50, 10, 50, 10, 10),
        Word("(3)", 60, -5, 70, 5, 10),
    ]
    rules = [Rule(0, 0, 0, 0), Rule(10, 10, 5, 5), Rule(math.inf, 0, 1, 1), Rule(0, 0, 600, 800)]
    page = PageInput(1, 612, 792, words=words, rules=rules)

    assert isinstance(find_tables(page, [make_line([word]) for word in words]), list)
    assert find_tables(PageInput(1, 612, 792), []) == []


def busy_page() -> PageInput:
    """About 800 words and 300 rules: two ruled grids, a statement and a page of prose."""
    page = FixturePage(612, 1400)
    rows = [["Item", "Count", "Price", "Total"]] + [[f"Item {n}", str(n), f"{n}.50", f"{n * 3}.00"] for n in range(12)]
    draw_grid(page, 40, 40, [100, 50, 50, 60], rows)
    draw_grid(page, 320, 40, [100, 50, 50, 60], rows)
    for top in range(260, 300, 3):  # dashed rule pieces
        page.hline(40, 300, top + 0.1)
    draw_financial(page, 300)
    for n in range(200):
        page.hline(40 + (n % 8) * 60, 80 + (n % 8) * 60, 500 + n)
    page.paragraph(40, 700, 530, " ".join([LOREM] * 10), size=8)
    return page.page_input()


def test_a_busy_page_takes_a_few_milliseconds() -> None:
    page = busy_page()
    lines = page_lines(page.words)
    assert len(page.words) > 700 and len(page.rules) > 250
    best = min(_timed(page, lines) for _ in range(5))
    # Typically about 2 ms on one core; the bound leaves room for a loaded CI machine.
    assert best < 0.02


def _timed(page: PageInput, lines: list[Line]) -> float:
    started = time.perf_counter()
    find_tables(page, lines)
    return time.perf_counter() - started

"""Layout analysis on positioned words: lines, blocks, reading order, headings, tables and page furniture.

The input is format-neutral (``model.PageInput``: words with boxes and font facts, ruling lines), so the same
logic serves a PDF's text layer and OCR words from a scan or an image.
"""

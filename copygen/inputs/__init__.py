"""Product files in, product rows out.

- ``product``: :class:`Product`, one row of a product sheet, and the parsing of its values
- ``product_files``: reading CSV/TSV, XLSX and JSONL sheets (header aliases, rows)
- ``text_files``: the encoding of a text file, decided on the whole file; bounded lines
- ``xlsx_files``: opening a workbook within size bounds; the first sheet's last value row
- ``cells``: one cell's limits (``max_cell_chars``, NUL, surrogates, SKUs) and cleaning
"""

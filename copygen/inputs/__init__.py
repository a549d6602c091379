"""Product files in, product rows out.

- ``product``: :class:`Product`, one row of a product sheet, and the parsing of its values
- ``product_files``: reading CSV/TSV, XLSX and JSONL sheets (encodings, header aliases)
"""

"""Writing files safely, for every stage.

- ``atomic``: atomic replacement of a file (write beside it, fsync, rename)
- ``tables``: CSV and XLSX writers with every cell guarded against formula injection
- ``locks``: one writer at a time (an OS lock on a side file)
"""

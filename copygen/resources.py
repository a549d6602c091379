"""Where the built-in data folders (templates, lexicons, rules) are.

In the repository they sit at the top level, where people edit them; in a wheel
they are mapped to ``copygen/_data/``. Both an editable install and a wheel
install resolve through this one function.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

DataFolder = Literal["templates", "lexicons", "rules"]
DATA_FOLDERS: tuple[DataFolder, ...] = ("templates", "lexicons", "rules")

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_dir(name: DataFolder) -> Path:
    """The directory holding the built-in ``name`` folder.

    Raises ``FileNotFoundError`` naming both places looked at, which points at a
    broken install rather than at user input.
    """
    if name not in DATA_FOLDERS:
        raise ValueError(f"unknown data folder {name!r}")
    installed = _PACKAGE_DIR / "_data" / name
    if installed.is_dir():
        return installed
    source_tree = _PACKAGE_DIR.parent / name
    if source_tree.is_dir():
        return source_tree
    raise FileNotFoundError(
        f"copygen's built-in '{name}' folder is missing (looked in {installed} and {source_tree})"
    )


def data_dirs() -> dict[str, Path]:
    return {name: data_dir(name) for name in DATA_FOLDERS}

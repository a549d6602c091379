"""The offline writer's words and tags come from jieba's dictionary, not from jieba.

jieba with its part-of-speech tables costs about 120 MB; ``copygen.writing.word_tags``
answers from the dictionary kept sorted with the rules cache and a small tag table.
These tests hold it to jieba's own answers, and check that an offline run does not
load jieba at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from copygen.writing import phrasing, word_tags

REPO = Path(__file__).resolve().parents[1]
PHRASES = [
    "软毛设计",
    "清洁牙齿",
    "口感丝滑多汁",
    "便于携带",
    "100%纯棉面料",
    "蓝牙5.3 续航30小时",
    "今天给大家底价",
    "慢回弹记忆棉，可拆洗枕套",
    "无线蓝牙耳机 Pro Max",
    "适合干皮和混干皮日常保湿",
]


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPYGEN_RULES_CACHE", str(tmp_path / "rules-cache"))
    word_tags._LOADED.clear()


def test_words_are_jiebas_dictionary_segmentation() -> None:
    import jieba

    for phrase in PHRASES:
        expected = [w for w in jieba.lcut(phrase, HMM=False) if w.strip()]
        assert word_tags.words(phrase) == expected, phrase


def test_tags_are_the_ones_jieba_posseg_gives_dictionary_words() -> None:
    import jieba.posseg

    for phrase in PHRASES:
        expected = [
            (p.word, p.flag) for p in jieba.posseg.lcut(phrase, HMM=False) if p.word.strip()
        ]
        assert word_tags.tagged(phrase) == expected, phrase


def test_the_tag_table_is_kept_and_read_back(tmp_path: Path) -> None:
    first = word_tags.tagged("软毛设计")
    kept = list((tmp_path / "rules-cache").glob("*.tags"))
    assert len(kept) == 1
    word_tags._LOADED.clear()
    assert word_tags.tagged("软毛设计") == first


def test_without_the_rules_cache_jieba_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPYGEN_RULES_CACHE", "0")
    word_tags._LOADED.clear()
    assert word_tags.words("软毛设计") is None
    assert word_tags.tagged("软毛设计") is None
    assert phrasing.zh_point_kind("便于携带") == "state"  # through jieba.posseg


def test_point_kinds_are_jiebas_for_the_sample_sheets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kind of a selling point (noun / state / action) from the table is the one
    jieba.posseg gives, but for runs of characters outside jieba's dictionary."""
    from copygen.inputs.product_files import read_products

    points = sorted(
        {
            point
            for product in read_products(REPO / "examples" / "products.csv")
            for point in (product.title, *product.selling_points)
        }
        | set(PHRASES)
    )
    ours = [phrasing.zh_point_kind(point) for point in points]
    monkeypatch.setattr(word_tags, "_load", lambda: None)
    jiebas = [phrasing.zh_point_kind(point) for point in points]
    differ = [p for p, a, b in zip(points, ours, jiebas, strict=True) if a != b]
    assert len(points) > 50
    assert len(differ) <= len(points) // 100, differ


def test_an_offline_run_does_not_load_jieba(tmp_path: Path) -> None:
    script = (
        "import json, sys\n"
        "from copygen.config import load_settings\n"
        "from copygen.generate.run import generate\n"
        "settings = load_settings(cli={'backend': 'offline'})\n"
        "summary = generate(input_path=sys.argv[1], outdir=sys.argv[2], settings=settings)\n"
        "print(json.dumps({'items': summary.items,\n"
        "                  'jieba': sorted(m for m in sys.modules if m.startswith('jieba'))}))\n"
    )
    env = {"COPYGEN_RULES_CACHE": str(tmp_path / "rules-cache"), "PATH": "/usr/bin:/bin"}
    args = [sys.executable, "-c", script, str(REPO / "examples" / "products.csv")]
    # The first run builds the rules cache (which reads jieba's dictionary file);
    # the second is what every later run is.
    for n in (1, 2):
        proc = subprocess.run(
            [*args, str(tmp_path / f"out{n}")],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env,
            check=False,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout.strip().splitlines()[-1])
    assert shown["items"] > 0
    assert shown["jieba"] == []

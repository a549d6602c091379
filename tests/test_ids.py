"""IdTable: item ids by digest, so a million-item run does not hold a million strings."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from copygen import ids as idtable
from copygen.generate import store as store_module
from copygen.generate.store import STATUS_CODES, RecordsById, ResultStore
from copygen.ids import IdNumbers, IdTable, id_digest


def test_it_behaves_as_a_set_through_growth() -> None:
    table = IdTable()
    expected: set[str] = set()
    rng = random.Random(7)
    for _ in range(20_000):
        item_id = f"SKU-{rng.randrange(12_000)}:social:zh:v{rng.randrange(1, 3)}"
        assert table.add(item_id) == (item_id not in expected)
        expected.add(item_id)
    assert len(table) == len(expected)
    assert all(item_id in table for item_id in expected)
    assert not any(f"other-{i}" in table for i in range(5_000))
    for item_id in sorted(expected)[:1_000]:
        table.discard(item_id)
        expected.discard(item_id)
    assert len(table) == len(expected)
    assert sum(item_id in table for item_id in sorted(expected)) == len(expected)
    # A discarded id can come back.
    assert table.add("SKU-1:social:zh:v1") == ("SKU-1:social:zh:v1" not in expected)


def test_values_and_drop_values() -> None:
    table = IdTable()
    for i in range(3_000):
        assert table.set(f"id-{i}", i % 3 + 1) == 0
    assert table.set("id-0", 3) == 1
    assert table.get("id-0") == 3 and table.get("missing") == 0
    assert table.count(2) == 1_000
    assert table.drop_values(2) == 1_000
    assert len(table) == 2_000 and "id-1" not in table and "id-2" in table
    assert table.set("never-there", 0) == 0 and len(table) == 2_000
    with pytest.raises(ValueError):
        table.set("x", 256)
    assert "id-2" in table and 5 not in table  # only strings are ids


def test_it_takes_18_to_36_bytes_an_id() -> None:
    table = IdTable(f"B-{i}:social:zh:v1" for i in range(300_000))
    assert len(table) == 300_000
    assert table.nbytes / len(table) <= 36  # just grown: a quarter full
    fuller = IdTable(f"B-{i}" for i in range(250_000))
    assert fuller.nbytes / len(fuller) <= 19  # half full


def test_digests_are_stable_and_never_zero() -> None:
    # Stable across processes (no salted hash): the same value as written here.
    assert id_digest("A-1:social:zh:v1") == id_digest("A-1:social:zh:v1")
    assert id_digest("") != 0
    assert id_digest("\ud800") != 0  # a lone surrogate from a damaged file


@pytest.fixture
def colliding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every id of a store shares one of four digests: the exact paths must hold."""

    def weak(item_id: str) -> int:
        return 1 + sum(item_id.encode()) % 4

    monkeypatch.setattr(idtable, "id_digest", weak)


def _write(path: Path, records: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


@pytest.mark.usefixtures("colliding")
def test_the_latest_record_of_each_id_is_exact_even_when_digests_meet(tmp_path: Path) -> None:
    records = [{"id": f"item-{i}", "status": "pass", "n": 1} for i in range(40)]
    records += [{"id": "item-3", "status": "review", "n": 2}, {"id": "item-7", "n": 2}]
    _write(tmp_path / store_module.RESULTS_FILE, records)
    store = ResultStore(tmp_path)
    latest = list(store.iter_records())
    assert [r["id"] for r in latest] == [f"item-{i}" for i in range(40) if i not in (3, 7)] + [
        "item-3",
        "item-7",
    ]
    assert {r["id"]: r.get("n") for r in latest}["item-3"] == 2
    assert store.compact() == 2
    assert [r["id"] for r in store.iter_records()] == [f"item-{i}" for i in range(40)]
    assert store.load()[3]["status"] == "review"


def test_status_table_holds_each_ids_latest_status(tmp_path: Path) -> None:
    _write(
        tmp_path / store_module.RESULTS_FILE,
        [
            {"id": "a", "status": "error"},
            {"id": "b", "status": "review"},
            {"id": "a", "status": "pass"},
            {"id": "c", "status": "something new"},
        ],
    )
    table = ResultStore(tmp_path).status_table()
    assert table.get("a") == STATUS_CODES["pass"]
    assert table.get("b") == STATUS_CODES["review"]
    assert table.get("c") not in (0, *STATUS_CODES.values())
    assert len(table) == 3


def test_id_numbers_hold_row_numbers() -> None:
    rows = IdNumbers()
    for row in range(1, 5_001):
        rows.set(f"SKU-{row}", row)
    assert rows.get("SKU-4321") == 4321 and rows.get("SKU-0") == 0
    rows.set("SKU-1", 2**64 - 1)
    assert rows.get("SKU-1") == 2**64 - 1
    with pytest.raises(ValueError):
        rows.set("SKU-1", 2**64)
    assert rows.drop_values(10, 20) == 2 and len(rows) == 4_998


def test_records_by_id_read_each_record_back_from_its_offset(tmp_path: Path) -> None:
    _write(
        tmp_path / store_module.RESULTS_FILE,
        [{"id": f"item-{i}", "status": "review", "text": "文案" * i} for i in range(50)]
        + [{"id": "item-4", "status": "pass"}],
    )
    store = ResultStore(tmp_path)
    located = list(store.located_records())
    assert [r["id"] for _, r in located][-1] == "item-4"
    assert all(store.record_at(offset) == record for offset, record in located)
    assert store.record_at(10**9) is None
    chosen = RecordsById(store, view=lambda r: {"id": r["id"], "n": len(r.get("text", ""))})
    for offset, record in located:
        if record["status"] == "review" and record["id"].endswith("7"):
            chosen.add(record["id"], offset)
    assert len(chosen) == 5
    assert chosen["item-17"] == {"id": "item-17", "n": 34}
    assert "item-4" not in chosen and chosen.get("item-18") is None
    with pytest.raises(KeyError):
        chosen["item-4"]
    # Appending (as a repair run does) leaves the chosen lines where they were.
    store.append({"id": "item-17", "status": "pass"})
    store.close()
    assert chosen["item-17"]["n"] == 34


@pytest.mark.usefixtures("colliding")
def test_records_by_id_never_answer_for_an_id_whose_digest_meets_a_chosen_one(
    tmp_path: Path,
) -> None:
    _write(tmp_path / store_module.RESULTS_FILE, [{"id": f"item-{i}"} for i in range(8)])
    store = ResultStore(tmp_path)
    chosen = RecordsById(store)
    offset, record = next(iter(store.located_records()))
    chosen.add(record["id"], offset)
    others = [f"item-{i}" for i in range(1, 8)]
    assert record["id"] in chosen
    assert not any(item_id in chosen for item_id in others)

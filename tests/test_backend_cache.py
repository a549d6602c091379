"""The SQLite response cache: keys, hits, misses, what is never stored, concurrency."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from copygen.backends.base import Completion, Usage
from copygen.backends.cache import (
    CACHE_FILE,
    ResponseCache,
    cache_key,
    default_cache_dir,
    default_cache_path,
)
from copygen.config import load_settings
from copygen.errors import ConfigError

MESSAGES = [{"role": "system", "content": "系统"}, {"role": "user", "content": "写文案"}]
PARAMS = {"temperature": 0.7, "max_tokens": 500, "json_mode": True}
REPO = Path(__file__).resolve().parents[1]


def key(**changes: object) -> str:
    args: dict[str, object] = {
        "base_url": "http://127.0.0.1:8000/v1",
        "model": "m",
        "messages": MESSAGES,
        "params": PARAMS,
    }
    args.update(changes)
    return cache_key(**args)  # type: ignore[arg-type]


def completion(text: str = '{"title": "好"}') -> Completion:
    return Completion(
        text=text,
        usage=Usage(prompt_tokens=12, completion_tokens=34),
        latency_ms=56.7,
        model="m-2026",
        finish_reason="stop",
        raw={"id": "chatcmpl-1", "choices": [{"message": {"content": text}}]},
    )


def test_key_is_stable_and_canonical() -> None:
    assert len(key()) == 64
    assert key() == key()
    reordered = dict(reversed(list(PARAMS.items())))
    assert key(params=reordered) == key()
    assert key(base_url="http://127.0.0.1:8000/v1/") == key()  # trailing slash is the same URL


@pytest.mark.parametrize(
    "change",
    [
        {"base_url": "https://api.deepseek.com/v1"},
        {"model": "other"},
        {"messages": [*MESSAGES, {"role": "user", "content": "again"}]},
        {"messages": [MESSAGES[0], {"role": "user", "content": "写文案!"}]},
        {"params": {**PARAMS, "temperature": 0.71}},
        {"params": {**PARAMS, "seed": 1}},
        {"extra": {"variant": 2}},
    ],
)
def test_key_changes_with_every_input(change: dict[str, object]) -> None:
    assert key(**change) != key()


def test_miss_put_hit_roundtrip(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "c.sqlite3") as cache:
        assert cache.get(key()) is None
        assert cache.put(key(), completion()) is True
        hit = cache.get(key())
        assert hit is not None
        assert hit.cached is True
        assert hit.text == completion().text
        assert hit.usage == completion().usage
        assert hit.latency_ms == 56.7
        assert hit.model == "m-2026"
        assert hit.finish_reason == "stop"
        assert hit.raw == completion().raw
        assert (cache.hits, cache.misses) == (1, 1)
        assert len(cache) == 1
    # Persisted: a new instance sees it.
    with ResponseCache(tmp_path / "c.sqlite3") as again:
        assert again.get(key()) is not None


def test_empty_replies_are_never_stored(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "c.sqlite3") as cache:
        assert cache.put(key(), completion("")) is False
        assert cache.put(key(), completion("  \n")) is False
        assert cache.get(key()) is None
        assert len(cache) == 0


def test_put_replaces_and_delete_removes(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "c.sqlite3") as cache:
        cache.put(key(), completion("one"))
        cache.put(key(), completion("two"))
        hit = cache.get(key())
        assert hit is not None and hit.text == "two"
        cache.delete(key())
        assert cache.get(key()) is None


def test_default_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_path() == tmp_path / "xdg" / "copygen" / CACHE_FILE
    assert default_cache_dir({}) == Path.home() / ".cache" / "copygen"
    settings = load_settings(
        cli={"cache_dir": str(tmp_path / "mine")}, env={}, cwd=tmp_path, home=tmp_path
    )
    assert default_cache_path(settings) == tmp_path / "mine" / CACHE_FILE
    cache = ResponseCache.from_settings(settings)
    assert cache.path.is_file()
    cache.close()


def test_a_corrupt_file_is_a_clear_config_error(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConfigError) as info:
        ResponseCache(path)
    assert str(path) in str(info.value)
    assert "--no-cache" in str(info.value)


def test_closed_cache_is_a_miss_not_a_crash(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite3")
    cache.close()
    assert cache.get(key()) is None
    assert cache.put(key(), completion()) is False


def test_many_asyncio_tasks_share_one_cache(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite3")

    async def task(i: int) -> bool:
        k = key(extra={"i": i})
        await asyncio.sleep(0)
        cache.put(k, completion(f"reply {i}"))
        await asyncio.sleep(0)
        hit = cache.get(k)
        return hit is not None and hit.text == f"reply {i}"

    async def run() -> list[bool]:
        return await asyncio.gather(*(task(i) for i in range(200)))

    assert all(asyncio.run(run()))
    assert len(cache) == 200
    cache.close()


def test_two_processes_write_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    script = textwrap.dedent(
        f"""
        import sys
        from copygen.backends.base import Completion
        from copygen.backends.cache import ResponseCache, cache_key
        who = sys.argv[1]
        cache = ResponseCache({str(path)!r})
        for i in range(150):
            k = cache_key(base_url="u", model="m", messages=[], params={{}},
                          extra={{"who": who, "i": i}})
            assert cache.put(k, Completion(text=f"{{who}}-{{i}}"))
            assert cache.get(k).text == f"{{who}}-{{i}}"
        cache.close()
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, who], cwd=REPO, stderr=subprocess.PIPE)
        for who in ("a", "b")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    with ResponseCache(path) as cache:
        assert len(cache) == 300

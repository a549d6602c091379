"""A keyed audit log: only a key holder can write events that verify.

With ``COPYGEN_AUDIT_KEY`` (or ``--audit-key-file`` / ``audit_key_file``) every event
carries an HMAC; verify with the key catches any rewrite or append by someone
without it, ``audit checkpoint`` signs a head to keep elsewhere, and the key itself
never shows up in any output or file.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from copygen.audit import AuditLog, load_key, read_events, verify
from copygen.audit.chain import canonical_json, event_hash, seal, sealed_line
from copygen.cli.main import app
from copygen.errors import ConfigError, ExitCode
from copygen.testing.fake_openai import FakeOpenAIServer, default_responder

KEY = "c0pygen-audit-key-" + "7f3a9b2c4d5e6f708192a3b4c5d6e7f8"
OTHER = "another-audit-key-" + "00112233445566778899aabbccddeeff"
PRODUCTS = """sku,title,category,selling_points,price
A-1,保湿面霜 50g,美妆,清爽不黏腻,99
B-2,全麦吐司 400g,食品,低糖配方,19.9
"""
REVIEW_ITEM = "B-2:social:zh:v1"  # blocked: it claims the lowest price
API_KEY = "sk-fake-KEYED-0a1b2c3d4e5f60718293"
runner = CliRunner()


def _invoke(*args: str, key: str | None = KEY, **env: str) -> Any:
    environ = dict(env)
    if key is not None:
        environ["COPYGEN_AUDIT_KEY"] = key
    return runner.invoke(app, list(args), env=environ)


def _error_line(result: Any) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("copygen: error: "), result.output
    return lines[0]


@pytest.fixture
def products(tmp_path: Path) -> Path:
    path = tmp_path / "products.csv"
    path.write_text(PRODUCTS, encoding="utf-8")
    return path


def _respond(body: dict[str, Any]) -> str:
    reply = default_responder(body)
    if "B-2" in json.dumps(body.get("messages"), ensure_ascii=False):
        fields = json.loads(reply)
        fields["body"] = "全网最低价！" + str(fields.get("body", ""))
        return json.dumps(fields, ensure_ascii=False)
    return reply


@pytest.fixture
def server() -> Any:
    with FakeOpenAIServer(api_key=API_KEY, responder=_respond) as srv:
        yield srv


def _generate(
    server: FakeOpenAIServer, products: Path, outdir: Path, *extra: str, key: str | None = KEY
) -> Any:
    return _invoke(
        *server.generate_args(products, outdir, "-q", *extra),
        key=key,
        OPENAI_API_KEY=API_KEY,
    )


@pytest.fixture
def keyed(server: FakeOpenAIServer, products: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    result = _generate(server, products, out)
    assert result.exit_code == 0, result.output
    return out


def _events(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_bytes().splitlines()]


def _line(event: dict[str, Any]) -> bytes:
    """An event as a forger writes it: right seq, prev and hash, its own (or no) MAC."""
    body = {k: v for k, v in event.items() if k != "hash"}
    return (canonical_json({**body, "hash": event_hash(body)}) + "\n").encode("utf-8")


def _forge_append(log: Path, *, mac: str | None) -> None:
    last = _events(log)[-1]
    event = {
        "v": 1,
        "seq": last["seq"] + 1,
        "ts": last["ts"],
        "run": last["run"],
        "event": "reviewed",
        "item": "B-2:social:zh:v1",
        "decision": "approved",
        "reviewer": "mallory",
        "prev": last["hash"],
    }
    if mac is not None:
        event["mac"] = mac
    with open(log, "ab") as handle:
        handle.write(_line(event))


_KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ACZhasmc", min_size=1, max_size=6)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_KEYS.filter(lambda k: k not in ("hash", "mac")), _VALUES, max_size=8))
def test_a_sealed_keyed_line_is_the_canonical_json_with_mac_and_hash(
    record: dict[str, Any],
) -> None:
    key = load_key(env={"COPYGEN_AUDIT_KEY": KEY})
    assert key is not None
    digest, mac, line = seal(record, key.mac)
    assert mac == key.mac(canonical_json(record).encode("utf-8"))
    assert digest == event_hash({**record, "mac": mac})
    assert line == (canonical_json({**record, "mac": mac, "hash": digest}) + "\n").encode()


# --- writing and verifying ------------------------------------------------------------------


def test_every_event_carries_a_mac_checked_with_the_key(keyed: Path) -> None:
    log = keyed / "audit.jsonl"
    events = _events(log)
    assert events and all(len(e["mac"]) == 64 for e in events)
    result = _invoke("audit", "verify", str(log))
    assert result.exit_code == 0, result.output
    assert f"{len(events)} MACs checked" in result.output
    # Without the key the chain still verifies; the MACs are named as unchecked.
    result = _invoke("audit", "verify", str(log), key=None)
    assert result.exit_code == 0, result.output
    assert f"{len(events)} events carry a MAC, not checked without the audit key" in result.output
    result = _invoke("audit", "verify", str(keyed))
    assert result.exit_code == 0, result.output
    assert "2 of 2 records proven" in result.output


@pytest.mark.parametrize("mac", [None, "ab" * 32], ids=["no-mac", "made-up-mac"])
def test_an_appended_forged_event_is_caught(keyed: Path, mac: str | None) -> None:
    log = keyed / "audit.jsonl"
    head = _events(log)[-1]["hash"]
    _forge_append(log, mac=mac)
    count = len(_events(log))
    result = _invoke("audit", "verify", str(log), "--expect-head", head)
    assert result.exit_code == ExitCode.AUDIT
    line = _error_line(result)
    assert f"audit.jsonl:{count}:" in line
    if mac is None:
        assert "no MAC after keyed events" in line
        # ... which needs no key to see.
        assert _invoke("audit", "verify", str(log), key=None).exit_code == ExitCode.AUDIT
    else:
        assert "MAC mismatch" in line


def test_a_rewritten_event_with_a_recomputed_chain_is_caught(keyed: Path) -> None:
    log = keyed / "audit.jsonl"
    events = _events(log)
    target = next(
        i for i, e in enumerate(events) if e["event"] == "checked" and e["status"] == "blocked"
    )
    events[target]["status"] = "pass"
    events[target]["findings"] = []
    out, head = b"", events[target - 1]["hash"]
    for event in events[:target]:
        out += (canonical_json(event) + "\n").encode("utf-8")
    for event in events[target:]:
        event["prev"] = head
        line = _line(event)  # the old MAC kept: the forger cannot make a new one
        head = json.loads(line)["hash"]
        out += line
    log.write_bytes(out)
    assert verify(log).ok  # without the key, a recomputed chain passes
    result = _invoke("audit", "verify", str(log))
    assert result.exit_code == ExitCode.AUDIT
    assert f"audit.jsonl:{target + 1}: MAC mismatch" in _error_line(result)


def test_a_log_stripped_of_its_macs_fails_with_the_key(keyed: Path, tmp_path: Path) -> None:
    log = keyed / "audit.jsonl"
    out, head = b"", "0" * 64
    for event in _events(log):
        body = {k: v for k, v in event.items() if k not in ("hash", "mac")}
        body["prev"] = head
        head, line = sealed_line(body)
        out += line
    log.write_bytes(out)
    assert _invoke("audit", "verify", str(log), key=None).exit_code == 0
    result = _invoke("audit", "verify", str(log))
    assert result.exit_code == ExitCode.AUDIT
    assert "the log carries no MACs" in _error_line(result)
    # Export in a keyed setup refuses to rely on it.
    result = _invoke("export", str(keyed), "--to", str(tmp_path / "p.csv"))
    assert result.exit_code == ExitCode.AUDIT
    assert "the log carries no MACs" in _error_line(result)
    assert not (tmp_path / "p.csv").exists()


def test_an_unkeyed_beginning_is_bound_by_the_first_mac(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "shared.jsonl"
    old, new = tmp_path / "old", tmp_path / "new"
    assert _generate(server, products, old, "--audit", str(shared), key=None).exit_code == 0
    assert _generate(server, products, new, "--audit", str(shared), "--seed", "3").exit_code == 0
    events = _events(shared)
    assert "mac" not in events[0] and "mac" in events[-1]
    for folder in (old, new):
        result = _invoke("audit", "verify", str(folder))
        assert result.exit_code == 0, result.output
        assert "2 of 2 records proven" in result.output
    # Changing the unkeyed beginning breaks the first MAC's link or the first MAC.
    data = shared.read_bytes().replace(b'"outcome":"completed"', b'"outcome":"failed"', 1)
    shared.write_bytes(data)
    assert _invoke("audit", "verify", str(shared)).exit_code == ExitCode.AUDIT


# --- writers --------------------------------------------------------------------------------


def test_writers_without_the_key_or_with_another_are_refused(
    server: FakeOpenAIServer, keyed: Path, products: Path, tmp_path: Path
) -> None:
    log = keyed / "audit.jsonl"
    before = log.read_bytes()
    result = _invoke(
        "review", str(keyed), "--decide", f"{REVIEW_ITEM}=reject", "--reason", "x", key=None
    )
    assert result.exit_code == ExitCode.USAGE
    assert "this audit log is keyed" in _error_line(result)
    result = _invoke("export", str(keyed), "--to", str(tmp_path / "p.csv"), key=None)
    assert result.exit_code == ExitCode.USAGE
    assert "this audit log is keyed" in _error_line(result)
    result = _invoke("export", str(keyed), "--to", str(tmp_path / "p.csv"), key=OTHER)
    assert result.exit_code == ExitCode.AUDIT
    assert "MAC mismatch" in _error_line(result)
    shared = ["--audit", str(log)]
    result = _generate(server, products, tmp_path / "more", *shared, key=OTHER)
    assert result.exit_code == ExitCode.AUDIT
    assert "does not match the audit key" in _error_line(result)
    assert log.read_bytes() == before
    assert not (tmp_path / "p.csv").exists()
    with pytest.raises(ConfigError, match="keyed"):
        AuditLog.open(log)


def test_review_and_export_with_the_key_keep_the_log_keyed(keyed: Path, tmp_path: Path) -> None:
    result = _invoke("review", str(keyed), "--decide", f"{REVIEW_ITEM}=reject", "--reason", "tone")
    assert result.exit_code == 0, result.output
    result = _invoke("export", str(keyed), "--to", str(tmp_path / "p.jsonl"))
    assert result.exit_code == 0, result.output
    result = _invoke("report", str(keyed), "-o", str(tmp_path / "r.html"))
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    events = _events(keyed / "audit.jsonl")
    assert {"reviewed", "exported"} <= {e["event"] for e in events}
    assert all("mac" in e for e in events)
    assert _invoke("audit", "verify", str(keyed)).exit_code == 0


def test_a_keyed_setup_refuses_unproven_records(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert _generate(server, products, out, key=None).exit_code == 0
    (out / "audit.jsonl").unlink()
    result = _invoke("export", str(out), "--to", str(tmp_path / "p.csv"))
    assert result.exit_code == ExitCode.AUDIT
    assert "cannot be proven: there is no audit log" in _error_line(result)
    assert "a keyed setup accepts only records a keyed log proves" in result.output
    # Without the key the same export goes on, with a warning.
    result = _invoke("export", str(out), "--to", str(tmp_path / "p.csv"), key=None)
    assert result.exit_code == 0
    assert "copygen: warning: 2 records cannot be proven" in result.output


def test_recover_keeps_a_keyed_log_keyed(keyed: Path) -> None:
    log = keyed / "audit.jsonl"
    with open(log, "ab") as handle:
        handle.write(b'{"v":1,"seq":')  # a writer killed mid-event
    result = _invoke("audit", "recover", str(log), key=None)
    assert result.exit_code == ExitCode.USAGE
    assert "this audit log is keyed" in _error_line(result)
    result = _invoke("audit", "recover", str(log))
    assert result.exit_code == 0, result.output
    recovered = _events(log)[-1]
    assert recovered["event"] == "recovered" and len(recovered["mac"]) == 64
    assert _invoke("audit", "verify", str(log)).exit_code == 0


# --- checkpoints ----------------------------------------------------------------------------


def test_a_checkpoint_catches_a_cut_tail(keyed: Path, tmp_path: Path) -> None:
    log = keyed / "audit.jsonl"
    result = _invoke("audit", "checkpoint", str(log))
    assert result.exit_code == 0, result.output
    mark = result.output.strip()
    seq, head = _events(log)[-1]["seq"], _events(log)[-1]["hash"]
    assert mark.startswith(f"copygen-checkpoint-v1:{seq}:{head}:")
    assert _invoke("audit", "verify", str(log), "--checkpoint", mark).exit_code == 0
    # The log grows: the checkpoint still holds.
    assert _invoke("export", str(keyed), "--to", str(tmp_path / "p.csv")).exit_code == 0
    result = _invoke("audit", "verify", str(keyed), "--checkpoint", mark)
    assert result.exit_code == 0, result.output
    # Cut back to before the checkpoint: every remaining MAC is genuine, yet it fails.
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[: seq - 2]))
    assert _invoke("audit", "verify", str(log)).exit_code == 0
    result = _invoke("audit", "verify", str(log), "--checkpoint", mark)
    assert result.exit_code == ExitCode.AUDIT
    assert f"the log ends at seq {seq - 2}, before the checkpoint's seq {seq}" in _error_line(
        result
    )


def test_a_checkpoint_must_be_signed_with_the_key(keyed: Path) -> None:
    log = keyed / "audit.jsonl"
    mark = _invoke("audit", "checkpoint", str(log)).output.strip()
    prefix, seq, head, mac = mark.split(":")
    forged = ":".join([prefix, seq, ("1" if head[0] != "1" else "2") + head[1:], mac])
    result = _invoke("audit", "verify", str(log), "--checkpoint", forged)
    assert result.exit_code == ExitCode.AUDIT
    assert "the checkpoint's signature does not match the audit key" in _error_line(result)
    result = _invoke("audit", "verify", str(log), "--checkpoint", mark, key=OTHER)
    assert result.exit_code == ExitCode.AUDIT
    result = _invoke("audit", "verify", str(log), "--checkpoint", "head-abc")
    assert result.exit_code == ExitCode.USAGE
    assert "--checkpoint is not a checkpoint" in _error_line(result)
    for args in (
        ["audit", "checkpoint", str(log)],
        ["audit", "verify", str(log), "--checkpoint", mark],
    ):
        result = _invoke(*args, key=None)
        assert result.exit_code == ExitCode.USAGE
        assert "needs the audit key" in _error_line(result)


# --- where the key comes from, and where it never goes --------------------------------------


def test_key_sources_and_their_order(keyed: Path, tmp_path: Path) -> None:
    log = keyed / "audit.jsonl"
    key_file = tmp_path / "audit.key"
    key_file.write_text(KEY + "\n", encoding="utf-8")  # the newline is not part of the key
    wrong = ["audit", "verify", str(log)]
    assert _invoke(*wrong, key=OTHER).exit_code == ExitCode.AUDIT
    # --audit-key-file wins over COPYGEN_AUDIT_KEY ...
    assert _invoke(*wrong, "--audit-key-file", str(key_file), key=OTHER).exit_code == 0
    # ... which wins over COPYGEN_AUDIT_KEY_FILE and the config file.
    other_file = tmp_path / "other.key"
    other_file.write_text(OTHER, encoding="utf-8")
    env_file = {"COPYGEN_AUDIT_KEY_FILE": str(other_file)}
    assert _invoke(*wrong, **env_file).exit_code == 0
    assert _invoke(*wrong, key=None, **env_file).exit_code == ExitCode.AUDIT
    config = tmp_path / "copygen.yaml"
    config.write_text(f"audit_key_file: {key_file}\n", encoding="utf-8")
    result = _invoke(*wrong, "--config", str(config), key=None)
    assert result.exit_code == 0, result.output
    assert "MACs checked" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "audit key file not found"),
        (b"", "the audit key file is empty"),
        (b"short-key\n", "is too short (9 bytes; at least 16)"),
        (b"x" * 5000, "larger than 4096 bytes"),
    ],
    ids=["missing", "empty", "short", "huge"],
)
def test_bad_key_files_are_one_line(
    keyed: Path, tmp_path: Path, content: bytes | None, message: str
) -> None:
    key_file = tmp_path / "bad.key"
    if content is not None:
        key_file.write_bytes(content)
    result = _invoke(
        "audit", "verify", str(keyed / "audit.jsonl"), "--audit-key-file", str(key_file)
    )
    assert result.exit_code == ExitCode.USAGE
    assert message in _error_line(result)
    with pytest.raises(ConfigError):
        load_key(key_file=key_file)


def test_the_key_never_appears_anywhere(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    key = "k3y-" + secrets.token_hex(16)
    # Even a product row that happens to hold the key does not carry it into the log.
    products.write_text(PRODUCTS.replace("低糖配方", f"低糖配方 {key}"), encoding="utf-8")
    out = tmp_path / "out"
    outputs = [_generate(server, products, out, key=key)]
    outputs.append(
        _invoke("review", str(out), "--decide", f"{REVIEW_ITEM}=reject", "--reason", key, key=key)
    )
    outputs.append(_invoke("export", str(out), "--to", str(tmp_path / "p.csv"), key=key))
    outputs.append(_invoke("audit", "checkpoint", str(out / "audit.jsonl"), key=key))
    outputs.append(_invoke("audit", "verify", str(out), key=key))
    outputs.append(_invoke("audit", "show", str(out / "audit.jsonl"), key=key))
    outputs.append(_invoke("config", "show", key=key))
    outputs.append(_invoke("audit", "verify", str(out), key=key[:-1] + "0"))  # a wrong key
    for result in outputs:
        assert key not in result.output
    log_text = (out / "audit.jsonl").read_text(encoding="utf-8")
    assert key not in log_text and "***" in log_text
    assert read_events(out / "audit.jsonl", event="reviewed")[0]["reason"] == "***"
    assert "k3y-" not in repr(load_key(env={"COPYGEN_AUDIT_KEY": key}))

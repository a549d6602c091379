"""copygen serve: the desk's JSON API over HTTP, its security, the review core under it, the CLI.

The server is the real one (uvicorn on a free loopback port, from a thread); the
requests are plain ``http.client`` ones, so that paths, Host headers and bodies go
out exactly as written. The output folder is the review tests' hand-made one
(``test_review_fixtures``), with HTML in a product row and an id holding a slash.
"""

from __future__ import annotations

import copy
import hashlib
import http.client
import json
import logging
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from test_review_fixtures import build_items, make_outdir
from typer.testing import CliRunner

from copygen.audit import read_events, verify
from copygen.audit.chain import record_sha256
from copygen.cli.main import app
from copygen.config import load_settings
from copygen.errors import InputError
from copygen.review import ConflictError, Decision, ReviewSession
from copygen.serve.desk import Desk
from copygen.serve.server import running

runner = CliRunner()

SOCIAL = "BT-001:social:zh:v1"  # review (warn: 私信)
DETAIL = "BT-001:detail:zh:v1"  # blocked (最好, 治疗湿疹)
TEA = "FD-001:social:zh:v1"  # blocked (unsupported fact)
EN = "EL-001:social:en:v1"  # review (Best), <script> in its copy
LIVE = "BT-001:livestream:zh:v1"  # pass
ERROR = "FD-001:detail:zh:v1"  # error
APPROVED = "FD-001:livestream:zh:v1"  # approved by alice
SLASH = "EL/002:social:en:v1"  # review; a SKU with a slash
QUEUE = [SOCIAL, DETAIL, TEA, EN, SLASH]
HOSTILE_TITLE = 'Wireless <img src=x onerror="window.__xss=1"> Earbuds'


def desk_items() -> list[dict[str, Any]]:
    """The review fixture, with markup in a product row and an id that holds a slash."""
    items = copy.deepcopy(build_items())
    for item in items:
        if item["sku"] == "EL-001":
            item["product"]["title"] = HOSTILE_TITLE
            item["product"]["brand"] = "<b>Sonora</b>"
    slash = copy.deepcopy(next(i for i in items if i["id"] == EN))
    slash.update(id=SLASH, sku="EL/002")
    slash["product"]["sku"] = "EL/002"
    items.append(slash)
    return items


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Served:
    outdir: Path
    desk: Desk
    port: int
    token: str

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = "default",
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if token == "default":
            token = self.token
        if token is not None:
            sent.setdefault("Authorization", f"Bearer {token}")
        data = raw
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            sent.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            conn.close()

    def get(self, path: str, **kw: Any) -> Reply:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, body, **kw)

    def item(self, item_id: str) -> dict[str, Any]:
        reply = self.get(f"/api/items/{quote(item_id, safe='')}")
        assert reply.status == 200, reply.body
        data: dict[str, Any] = reply.json()
        return data

    def decide(self, item_id: str, **body: Any) -> Reply:
        return self.post(f"/api/items/{quote(item_id, safe='')}/decision", body)


def settings_for(tmp_path: Path) -> Any:
    return load_settings(cli={}, cwd=tmp_path, home=tmp_path)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    outdir = make_outdir(tmp_path / "out", desk_items())
    desk = Desk.open(outdir, settings=settings_for(tmp_path), reviewer="desk-default")
    with running(desk) as server:
        yield Served(outdir=outdir, desk=desk, port=server.port, token=server.token)


def results(outdir: Path) -> dict[str, dict[str, Any]]:
    lines = (outdir / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["id"]: r for r in (json.loads(line) for line in lines)}


def reviewed(outdir: Path) -> list[dict[str, Any]]:
    log = outdir / "audit.jsonl"
    if not log.exists():
        return []
    return [e for e in read_events(log) if e["event"] == "reviewed"]


def audit_verifies(outdir: Path) -> None:
    result = runner.invoke(app, ["audit", "verify", str(outdir / "audit.jsonl")])
    assert result.exit_code == 0, result.output


# --- reading the queue ---------------------------------------------------------------------


def test_items_are_the_queue_with_counts(served: Served) -> None:
    data = served.get("/api/items").json()
    assert [i["id"] for i in data["items"]] == QUEUE
    assert data["total"] == 5
    assert data["counts"]["status"] == {
        "review": 3,
        "blocked": 2,
        "approved": 1,
        "error": 1,
        "pass": 1,
    }
    assert data["counts"]["platform"] == {"social": 4, "detail": 1}
    assert data["counts"]["category"]["absolute_term"] == 3
    assert data["counts"]["rule"]["en.absolute.best"] == 2
    first = data["items"][0]
    assert {"id", "status", "check_status", "sku", "platform", "title", "rules", "version"} <= set(
        first
    )
    assert first["version"] == record_sha256(results(served.outdir)[SOCIAL])
    assert served.get("/api/state").json()["counts"]["status"]["review"] == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=blocked", [DETAIL, TEA]),
        ("status=approved", [APPROVED]),
        ("status=review&status=blocked&platform=detail", [DETAIL]),
        ("category=medical_claim", [DETAIL]),
        ("rule=zh.absolute", [DETAIL]),
        ("rule=en.absolute.best&sku=EL/002", [SLASH]),
        ("sku=FD-001", [TEA]),
        ("q=%E7%A7%81%E4%BF%A1", [SOCIAL]),  # 私信, in the copy
        ("q=%E7%BB%BF%E8%8C%B6", [TEA]),  # 绿茶, in the product title
        ("q=facts.number", [TEA]),  # a rule id
        ("q=earbuds%20battery", [EN, SLASH]),  # every word, anywhere
        (
            "status=pass,review,blocked,error,approved,rejected&platform=livestream",
            [LIVE, APPROVED],
        ),
        ("limit=2&offset=1", [DETAIL, TEA]),
    ],
)
def test_filters(served: Served, query: str, expected: list[str]) -> None:
    data = served.get(f"/api/items?{query}").json()
    assert [i["id"] for i in data["items"]] == expected


def test_filter_counts_follow_the_status(served: Served) -> None:
    data = served.get("/api/items?status=blocked").json()
    assert data["counts"]["platform"] == {"detail": 1, "social": 1}
    assert data["total"] == 2
    assert data["counts"]["status"]["review"] == 3  # the whole folder, always


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=later", "unknown status 'later'"),
        ("platform=tv", "unknown platform 'tv'"),
        ("category=nonsense", "unknown category 'nonsense'"),
        ("limit=0", "limit between 1"),
        ("offset=x", "whole numbers"),
    ],
)
def test_bad_filters_are_400(served: Served, query: str, message: str) -> None:
    reply = served.get(f"/api/items?{query}")
    assert reply.status == 400
    assert message in reply.json()["error"]


def test_one_item_in_full(served: Served) -> None:
    item = served.item(DETAIL)
    assert item["status"] == "blocked" and item["check_status"] == "blocked"
    assert item["fields"]["headline"] == "最好用的保湿精华 30ml"
    rules = [(f["rule"], f["field"], f["start"], f["end"]) for f in item["findings"]]
    assert ("zh.absolute.superlative", "headline", 0, 2) in rules
    assert item["findings"][0]["law"] == "《广告法》第九条第三项"
    assert item["product"]["title"] == "水润保湿精华液 30ml"
    assert item["product"]["attributes"]["容量"] == "30ml"
    # The other variants of the same product row, in platform order.
    assert [s["id"] for s in item["siblings"]] == [LIVE, SOCIAL]
    assert item["siblings"][1]["fields"]["body"].startswith("用了两周")
    assert item["version"] == record_sha256(results(served.outdir)[DETAIL])
    previous = served.item(APPROVED)["review"]
    assert previous["reviewer"] == "alice" and previous["decision"] == "approve"


def test_ids_with_a_slash_work(served: Served) -> None:
    assert served.item(SLASH)["sku"] == "EL/002"
    reply = served.decide(SLASH, decision="approve", reviewer="sam")
    assert reply.status == 200, reply.body
    assert results(served.outdir)[SLASH]["status"] == "approved"


def test_info(served: Served) -> None:
    info = served.get("/api/info").json()
    assert info["reviewer"] == "desk-default"
    assert info["folder"] == "out"
    assert info["categories"]["absolute_term"] == "绝对化用语"
    assert info["export_formats"] == ["xlsx", "csv", "jsonl"]


# --- deciding ------------------------------------------------------------------------------


def test_approve_is_logged_and_written(served: Served) -> None:
    seen = served.item(SOCIAL)["version"]
    reply = served.decide(SOCIAL, decision="approve", reviewer="王敏", version=seen)
    assert reply.status == 200, reply.body
    data = reply.json()
    assert data["item"]["status"] == "approved"
    assert data["item"]["review"]["reviewer"] == "王敏"
    record = results(served.outdir)[SOCIAL]
    assert record["status"] == "approved" and record["review"]["reviewer"] == "王敏"
    events = reviewed(served.outdir)
    assert len(events) == 1 and events[0]["seq"] == data["event"]
    assert events[0]["reviewer"] == "王敏" and events[0]["decision"] == "approved"
    assert events[0]["replaces_sha256"] == seen
    assert events[0]["record_sha256"] == data["item"]["version"]
    started = [e for e in read_events(served.outdir / "audit.jsonl") if e["event"] == "run_started"]
    assert started[0]["command"] == "review" and started[0]["via"] == "serve"
    # The item left the queue; the counts follow.
    data = served.get("/api/items").json()
    assert SOCIAL not in [i["id"] for i in data["items"]]
    assert data["counts"]["status"]["approved"] == 2
    audit_verifies(served.outdir)


def test_reviewer_falls_back_to_the_desk_default(served: Served) -> None:
    assert served.decide(EN, decision="approve").status == 200
    assert reviewed(served.outdir)[0]["reviewer"] == "desk-default"


def test_reject_needs_a_reason(served: Served) -> None:
    reply = served.decide(EN, decision="reject", reviewer="r")
    assert reply.status == 400
    assert 'needs a reason ("reason")' in reply.json()["error"]
    assert reviewed(served.outdir) == []
    reply = served.decide(EN, decision="reject", reason="夸大 <b>不实</b>", reviewer="r")
    assert reply.status == 200
    record = results(served.outdir)[EN]
    assert record["status"] == "rejected" and record["review"]["reason"] == "夸大 <b>不实</b>"


def test_force_approving_a_blocked_item_needs_force_and_a_reason(served: Served) -> None:
    reply = served.decide(DETAIL, decision="approve", reviewer="f")
    assert reply.status == 400
    assert 'needs "force": true and a "reason"' in reply.json()["error"]
    reply = served.decide(DETAIL, decision="approve", force=True, reviewer="f")
    assert reply.status == 400 and "needs a reason" in reply.json()["error"]
    assert reviewed(served.outdir) == []
    reply = served.decide(DETAIL, decision="approve", force=True, reason="法务已确认", reviewer="f")
    assert reply.status == 200
    review = results(served.outdir)[DETAIL]["review"]
    assert review["forced"] is True and review["reason"] == "法务已确认"
    assert reviewed(served.outdir)[0]["forced"] is True


def test_edit_is_checked_before_deciding(served: Served) -> None:
    original = served.item(SOCIAL)
    dirty = {**original["fields"], "body": "  这是最好用的精华，私信我。 "}
    reply = served.post("/api/check", {"id": SOCIAL, "fields": dirty})
    assert reply.status == 200, reply.body
    check = reply.json()
    assert check["status"] == "blocked"
    assert check["fields"]["body"] == "这是最好用的精华，私信我。"  # trimmed, as decided
    superlative = next(f for f in check["findings"] if f["rule"] == "zh.absolute.superlative")
    body = check["fields"]["body"]
    assert body[superlative["start"] : superlative["end"]] == superlative["text"]
    # Checking records nothing.
    assert reviewed(served.outdir) == [] and results(served.outdir)[SOCIAL]["status"] == "review"
    # The edit is blocked now: approving it is forced, with a reason, as on the command line.
    reply = served.decide(SOCIAL, decision="approve", fields=dirty, version=original["version"])
    assert reply.status == 400 and '"force": true' in reply.json()["error"]
    reply = served.decide(
        SOCIAL,
        decision="approve",
        fields=dirty,
        force=True,
        reason="客户坚持",
        reviewer="ed",
        version=original["version"],
    )
    assert reply.status == 200, reply.body
    record = results(served.outdir)[SOCIAL]
    assert record["fields"]["body"] == "这是最好用的精华，私信我。"
    assert record["review"]["edited"] is True and record["review"]["forced"] is True
    assert record["findings"] == check["findings"]
    event = reviewed(served.outdir)[0]
    assert event["before"]["fields"] == original["fields"]
    assert event["after"]["fields"]["body"] == "这是最好用的精华，私信我。"
    audit_verifies(served.outdir)


def test_an_edit_that_cleans_a_blocked_item_needs_no_force(served: Served) -> None:
    original = served.item(DETAIL)
    clean = {
        "headline": "好用的保湿精华 30ml",
        "bullets": ["透明质酸钠补水", "神经酰胺修护", "质地清爽"],
        "description": original["fields"]["description"],
    }
    check = served.post("/api/check", {"id": DETAIL, "fields": clean}).json()
    assert (check["status"], check["findings"]) == ("pass", [])
    reply = served.decide(DETAIL, decision="approve", fields=clean, reviewer="ed")
    assert reply.status == 200, reply.body
    review = results(served.outdir)[DETAIL]["review"]
    assert review["forced"] is False and review["check_status"] == "pass"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "t", "body": "b"}, "field 'hashtags' is missing"),
        ({"title": "t", "body": "b", "hashtags": [], "cta": "x"}, "unknown field 'cta'"),
        ({"title": "t", "body": "b", "hashtags": "a b"}, "'hashtags' must be a list of texts"),
        ({"title": ["t"], "body": "b", "hashtags": []}, "'title' must be a text"),
    ],
)
def test_edited_fields_keep_the_item_shape(
    served: Served, fields: dict[str, Any], message: str
) -> None:
    for reply in (
        served.post("/api/check", {"id": SOCIAL, "fields": fields}),
        served.decide(SOCIAL, decision="approve", fields=fields),
    ):
        assert reply.status == 400
        assert message in reply.json()["error"]
    assert reviewed(served.outdir) == []


def test_a_rejection_carries_no_edit(served: Served) -> None:
    fields = served.item(SOCIAL)["fields"]
    reply = served.decide(SOCIAL, decision="reject", reason="x", fields={**fields, "title": "新"})
    assert reply.status == 400 and "without 'fields'" in reply.json()["error"]


def test_check_any_text(served: Served) -> None:
    reply = served.post("/api/check", {"text": "全网最低价，错过再等一年！", "lang": "zh"})
    check = reply.json()
    assert check["status"] == "blocked"
    assert {f["category"] for f in check["findings"]} >= {"price_fraud"}
    reply = served.post("/api/check", {"fields": {"title": "t"}, "platform": "tv"})
    assert reply.status == 400 and "unknown platform" in reply.json()["error"]
    assert served.post("/api/check", {"id": "nope", "fields": {}}).status == 404


def test_undo(served: Served) -> None:
    before = results(served.outdir)[DETAIL]
    reply = served.decide(DETAIL, decision="approve", force=True, reason="ok", reviewer="u")
    assert reply.status == 200
    reply = served.post("/api/undo", {"reviewer": "u"})
    assert reply.status == 200, reply.body
    assert reply.json()["item"]["status"] == "blocked"
    after = results(served.outdir)[DETAIL]
    for key in ("status", "fields", "findings", "aigc", "review"):
        assert after[key] == before[key]
    assert [e["decision"] for e in reviewed(served.outdir)] == ["approved", "undone"]
    reply = served.post("/api/undo", {"reviewer": "u"})
    assert reply.status == 409 and "nothing to undo" in reply.json()["error"]
    # Undo takes back one's own decisions only.
    served.decide(EN, decision="approve", reviewer="a")
    reply = served.post("/api/undo", {"reviewer": "b"})
    assert reply.status == 409
    assert results(served.outdir)[EN]["status"] == "approved"
    audit_verifies(served.outdir)


def test_undo_after_someone_else_decided_again_is_refused(served: Served) -> None:
    served.decide(EN, decision="approve", reviewer="a")
    version = served.item(EN)["version"]
    served.decide(EN, decision="reject", reason="no", reviewer="b", version=version)
    reply = served.post("/api/undo", {"reviewer": "a"})
    assert reply.status == 409
    assert "decided again since, by b" in reply.json()["error"]
    assert results(served.outdir)[EN]["status"] == "rejected"


# --- several reviewers ---------------------------------------------------------------------


def test_two_reviewers_at_once_one_wins_the_other_gets_409(served: Served) -> None:
    version = served.item(TEA)["version"]
    barrier = threading.Barrier(2)
    replies: dict[str, Reply] = {}

    def decide(name: str, decision: str) -> None:
        barrier.wait()
        replies[name] = served.decide(
            TEA, decision=decision, reviewer=name, version=version, force=True, reason=name
        )

    threads = [
        threading.Thread(target=decide, args=("alice", "approve")),
        threading.Thread(target=decide, args=("bob", "reject")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = sorted(r.status for r in replies.values())
    assert statuses == [200, 409], {k: r.body for k, r in replies.items()}
    winner = next(name for name, r in replies.items() if r.status == 200)
    loser = replies["bob" if winner == "alice" else "alice"]
    outcome = "approved" if winner == "alice" else "rejected"
    message = loser.json()["error"]
    assert f"{outcome}" in message and f"by {winner}" in message
    assert loser.json()["current"]["status"] == outcome
    events = [e for e in reviewed(served.outdir) if e["item"] == TEA]
    assert len(events) == 1 and events[0]["reviewer"] == winner
    assert results(served.outdir)[TEA]["review"]["reviewer"] == winner
    audit_verifies(served.outdir)


def test_many_threads_one_decision(tmp_path: Path) -> None:
    """The desk itself, without HTTP: eight deciders of one item, one decision."""
    from copygen.serve.bodies import decision_body

    outdir = make_outdir(tmp_path / "out", desk_items())
    desk = Desk.open(outdir, settings=settings_for(tmp_path), reviewer="d")
    version = desk.item(EN)["version"]
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def decide(n: int) -> None:
        body = decision_body({"decision": "approve", "reviewer": f"r{n}", "version": version})
        barrier.wait()
        try:
            desk.decide(EN, body)
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    desk.close()
    assert sorted(outcomes) == ["conflict"] * 7 + ["ok"]
    assert len(reviewed(outdir)) == 1
    assert verify(outdir / "audit.jsonl").ok


def test_a_decided_item_needs_its_version_to_be_decided_again(served: Served) -> None:
    assert served.decide(EN, decision="approve", reviewer="alice").status == 200
    reply = served.decide(EN, decision="reject", reason="late", reviewer="bob")
    assert reply.status == 409
    assert "already approved by alice" in reply.json()["error"]
    reply = served.decide(APPROVED, decision="reject", reason="x", reviewer="bob")
    assert reply.status == 409 and "approved by alice" in reply.json()["error"]
    # With the version it was seen at, a second opinion is recorded.
    version = served.item(EN)["version"]
    reply = served.decide(EN, decision="reject", reason="second opinion", version=version)
    assert reply.status == 200
    assert [e["reviewer"] for e in reviewed(served.outdir)] == ["alice", "desk-default"]


def test_a_decision_on_the_command_line_meanwhile_is_a_conflict(served: Served) -> None:
    version = served.item(SOCIAL)["version"]
    result = runner.invoke(
        app, ["review", str(served.outdir), "--decide", f"{SOCIAL}=approve", "--reviewer", "cli"]
    )
    assert result.exit_code == 0, result.output
    reply = served.decide(SOCIAL, decision="reject", reason="x", reviewer="web", version=version)
    assert reply.status == 409
    assert "approved by cli" in reply.json()["error"]
    # The desk follows the folder: the item has left the queue.
    assert SOCIAL not in [i["id"] for i in served.get("/api/items").json()["items"]]
    audit_verifies(served.outdir)


def test_state_changes_when_the_folder_does(served: Served) -> None:
    before = served.get("/api/state").json()["generation"]
    assert served.get("/api/state").json()["generation"] == before
    served.decide(EN, decision="approve", reviewer="g")
    assert served.get("/api/state").json()["generation"] != before


# --- export and report ---------------------------------------------------------------------


def test_export_and_download(served: Served) -> None:
    served.decide(EN, decision="approve", reviewer="x")
    reply = served.post("/api/export", {"format": "csv"})
    assert reply.status == 200, reply.body
    data = reply.json()
    assert data["count"] == 3  # pass + approved
    (file,) = data["files"]
    assert file["name"].startswith("copygen-export-") and file["name"].endswith(".csv")
    assert Path(file["path"]).parent == served.outdir / "exports"
    download = served.get(file["download"])
    assert download.status == 200
    assert "attachment" in download.headers["content-disposition"]
    text = download.body.decode("utf-8-sig")
    assert EN in text and LIVE in text and APPROVED in text and SOCIAL not in text
    event = next(e for e in read_events(served.outdir / "audit.jsonl") if e["event"] == "exported")
    assert event["sha256"] == hashlib.sha256(download.body).hexdigest() == file["sha256"]
    assert served.get(file["download"], token=None).status == 401
    # xlsx, one sheet per platform.
    xlsx = served.post("/api/export", {"format": "xlsx", "group_by": "platform"}).json()
    assert xlsx["files"][0]["groups"] == {"social": 1, "livestream": 2}
    assert served.get(xlsx["files"][0]["download"]).body.startswith(b"PK")
    assert served.post("/api/export", {"format": "pdf"}).status == 400
    audit_verifies(served.outdir)


def test_report_and_download(served: Served) -> None:
    reply = served.post("/api/report", {"title": "秋季 <批次>"})
    assert reply.status == 200, reply.body
    data = reply.json()
    assert data["total"] == 8 and data["flagged"] >= 5
    download = served.get(data["files"][0]["download"])
    assert download.status == 200
    page = download.body.decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "秋季 &lt;批次&gt;" in page
    assert download.headers["content-security-policy"].startswith("sandbox")
    assert (served.outdir / "report.html").read_bytes() == download.body


# --- security ------------------------------------------------------------------------------


API_ROUTES = [
    ("GET", "/api/info"),
    ("GET", "/api/state"),
    ("GET", "/api/items"),
    ("GET", f"/api/items/{quote(SOCIAL)}"),
    ("POST", f"/api/items/{quote(SOCIAL)}/decision"),
    ("POST", "/api/check"),
    ("POST", "/api/undo"),
    ("POST", "/api/export"),
    ("POST", "/api/report"),
    ("GET", "/api/files/report.html"),
]


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
def test_no_token_is_401(served: Served, method: str, path: str) -> None:
    body = {"decision": "approve"} if "decision" in path else None
    for token in (None, "wrong-token-wrong-token", served.token[:-1]):
        reply = served.call(method, path, body, token=token)
        assert reply.status == 401, (token, reply.body)
        assert "access token" in reply.json()["error"]
        assert reply.headers["www-authenticate"].startswith("Bearer")
    assert reviewed(served.outdir) == []


def test_token_in_the_query_is_not_enough(served: Served) -> None:
    query = f"?token={served.token}"
    assert served.get(f"/api/items{query}", token=None).status == 401
    reply = served.post(
        f"/api/items/{quote(SOCIAL)}/decision{query}", {"decision": "approve"}, token=None
    )
    assert reply.status == 401
    reply = served.post(
        f"/api/items/{quote(SOCIAL)}/decision",
        raw=f"token={served.token}&decision=approve".encode(),
        token=None,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 401
    assert reviewed(served.outdir) == [] and results(served.outdir)[SOCIAL]["status"] == "review"


def test_the_page_takes_the_token_once_and_sets_no_cookie(served: Served) -> None:
    page = served.get(f"/?token={served.token}", token=None)
    assert page.status == 200
    assert "set-cookie" not in page.headers
    html = page.body.decode("utf-8")
    assert '<script src="/static/desk.js" defer></script>' in html
    # No inline script anywhere: the CSP allows none.
    assert html.count("<script") == 1
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    # A wrong token in the link says so; the shell itself holds no data.
    bad = served.get("/?token=not-the-token", token=None)
    assert bad.status == 401 and served.token not in bad.body.decode()
    assert served.get("/", token=None).status == 200
    js = served.get("/static/desk.js", token=None)
    assert js.status == 200 and js.headers["content-type"].startswith("text/javascript")
    script = js.body.decode()
    assert not re.search(r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write", script)
    assert "history.replaceState" in script
    assert served.get("/static/desk.css", token=None).status == 200


def test_api_responses_are_json_not_pages(served: Served) -> None:
    reply = served.get(f"/api/items/{quote(EN)}")
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["cache-control"] == "no-store"
    item = reply.json()
    assert item["fields"]["body"].count("<script>alert(1)</script>") == 1
    assert item["product"]["title"] == HOSTILE_TITLE


def test_host_header_must_be_the_bound_host(served: Served) -> None:
    for host in (f"evil.example:{served.port}", "evil.example", f"127.0.0.1.nip.io:{served.port}"):
        reply = served.get("/api/items", headers={"Host": host})
        assert reply.status == 400, host
        assert served.get("/", token=None, headers={"Host": host}).status == 400
    for host in (f"127.0.0.1:{served.port}", f"localhost:{served.port}"):
        assert served.get("/api/items", headers={"Host": host}).status == 200


def test_which_hosts_are_checked() -> None:
    from copygen.serve.auth import allowed_hosts, is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    hosts = allowed_hosts("127.0.0.1", 8765)
    assert hosts is not None
    assert {"127.0.0.1:8765", "localhost:8765", "[::1]:8765"} <= hosts
    assert "evil.example:8765" not in hosts and "127.0.0.1:8766" not in hosts
    # Off loopback the token is the guard; any name of the machine may be used.
    assert allowed_hosts("0.0.0.0", 8765) is None


def test_a_change_from_another_origin_is_refused(served: Served) -> None:
    reply = served.decide(SOCIAL, decision="approve")  # scripts send no Origin: fine
    assert reply.status == 200
    for origin in ("http://evil.example", "null", f"http://localhost:{served.port + 1}"):
        reply = served.post(
            f"/api/items/{quote(EN)}/decision", {"decision": "approve"}, headers={"Origin": origin}
        )
        assert reply.status == 403, origin
    own = {"Origin": f"http://127.0.0.1:{served.port}"}
    assert served.post(f"/api/items/{quote(EN)}/decision", {"decision": "approve"}, headers=own)


@pytest.mark.parametrize(
    "path",
    [
        "/api/items/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/items/../../../../etc/passwd",
        "/api/items/%2E%2E/results.jsonl",
        "/api/files/..%2Fresults.jsonl",
        "/api/files/results.jsonl",
        "/api/files/%2Fetc%2Fpasswd",
        "/static/..%2F__init__.py",
        "/static/../app.py",
    ],
)
def test_paths_cannot_leave_the_folder(served: Served, path: str) -> None:
    reply = served.get(path)
    assert reply.status == 404, reply.body
    assert b"root:" not in reply.body and b"import" not in reply.body
    assert b'"id"' not in reply.body


def test_decision_on_a_path_id_is_404(served: Served) -> None:
    reply = served.post("/api/items/..%2F..%2Fetc%2Fpasswd/decision", {"decision": "approve"})
    assert reply.status == 404
    assert "no item with id '../../etc/passwd'" in reply.json()["error"]


def test_oversized_bodies_are_413(served: Served) -> None:
    big = {"decision": "approve", "reason": "x" * (1024 * 1024 + 10)}
    reply = served.decide(SOCIAL, **big)
    assert reply.status == 413 and "larger than" in reply.json()["error"]
    # Streamed without a length: cut off all the same.
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    chunks = (b"x" * 65536 for _ in range(20))
    conn.request(
        "POST",
        "/api/check",
        body=chunks,
        headers={"Authorization": f"Bearer {served.token}", "Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    assert response.status == 413
    conn.close()
    assert reviewed(served.outdir) == []


@pytest.mark.parametrize(
    ("raw", "kind", "status", "message"),
    [
        (b"{not json", "application/json", 400, "not valid JSON"),
        (b"[1, 2]", "application/json", 400, "must be a JSON object"),
        (b'{"decision": "maybe"}', "application/json", 400, "unknown decision 'maybe'"),
        (b'{"decision": "approve", "reasn": "x"}', "application/json", 400, "unknown key 'reasn'"),
        (b'{"decision": "approve", "force": "yes"}', "application/json", 400, "true or false"),
        (b'{"decision": "approve", "version": "v1"}', "application/json", 400, "'version'"),
        (b'{"decision": "approve", "reviewer": "a\\u0007"}', "application/json", 400, "control"),
        (b'{"decision": "approve"}', "text/plain", 415, "Content-Type: application/json"),
        (b"\xff\xfe", "application/json", 400, "not valid JSON"),
        (b"[" * 100000 + b"]" * 100000, "application/json", 400, "not valid JSON"),
    ],
)
def test_bad_bodies_are_clear_errors(
    served: Served, raw: bytes, kind: str, status: int, message: str
) -> None:
    reply = served.post(
        f"/api/items/{quote(SOCIAL)}/decision", raw=raw, headers={"Content-Type": kind}
    )
    assert reply.status == status, reply.body
    assert message in reply.json()["error"]
    assert b"Traceback" not in reply.body


def test_unknown_things_are_404_or_405_as_json(served: Served) -> None:
    reply = served.decide("NO-SUCH:social:zh:v1", decision="approve")
    assert reply.status == 404 and "no item with id" in reply.json()["error"]
    assert served.get("/api/nothing").status == 404
    reply = served.call("DELETE", f"/api/items/{quote(SOCIAL)}")
    assert reply.status == 405 and "error" in reply.json()
    assert served.get(f"/api/items/{quote(SOCIAL)}/decision").status == 404


def test_the_token_never_reaches_the_log(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    served.get(f"/?token={served.token}", token=None)
    served.get(f"/api/items?token={served.token}", token=None)
    served.post(f"/api/undo?token={served.token}", {}, token=None)
    served.decide(SOCIAL, decision="approve")
    served.get("/?token=wrong", token=None)
    assert "POST /api/items/" in caplog.text  # changes are logged, by path
    assert served.token not in caplog.text


# --- the review core under it --------------------------------------------------------------


def test_core_expected_version_and_colleagues(tmp_path: Path) -> None:
    outdir = make_outdir(tmp_path / "out", desk_items())
    settings = settings_for(tmp_path)
    with ReviewSession.open(outdir, settings=settings, reviewer="a") as first:
        second = first.for_reviewer("b")
        assert second.items is first.items and second.reviewer == "b"
        seen = record_sha256(first.items[SOCIAL])
        first.decide(Decision(SOCIAL, "approve", expected=seen))
        assert second.items[SOCIAL]["status"] == "approved"  # shared
        with pytest.raises(ConflictError, match="approved by a") as info:
            second.decide(Decision(SOCIAL, "reject", reason="x", expected=seen))
        assert info.value.item is not None and info.value.item["status"] == "approved"
        # The command line's words stay the command line's.
        with pytest.raises(InputError, match="needs --force and a --reason"):
            first.decide(Decision(DETAIL, "approve"))
        second.close()
    assert [e["reviewer"] for e in reviewed(outdir)] == ["a"]
    assert verify(outdir / "audit.jsonl").ok


# --- the command -----------------------------------------------------------------------------


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """``copygen serve`` up to the point where it would serve, then back."""
    calls: list[dict[str, Any]] = []

    def fake_serve(desk: Desk, sock: socket.socket, **kw: Any) -> None:
        calls.append({"desk": desk, "port": sock.getsockname()[1], **kw})
        desk.close()
        sock.close()

    monkeypatch.setattr("copygen.serve.server.serve_forever", fake_serve)
    return calls


def test_cli_prints_the_address_with_its_token(
    tmp_path: Path, no_server: list[dict[str, Any]]
) -> None:
    outdir = make_outdir(tmp_path / "out", desk_items())
    result = runner.invoke(app, ["serve", str(outdir), "--port", "0", "--reviewer", "王敏"])
    assert result.exit_code == 0, result.output
    (call,) = no_server
    assert call["host"] == "127.0.0.1" and call["open_browser"] is False
    assert call["desk"].reviewer == "王敏"
    token = call["token"]
    assert len(token) >= 40
    assert f"http://127.0.0.1:{call['port']}/?token={token}" in result.output
    assert "5 to decide (3 review, 2 blocked)" in result.output
    assert "WARNING" not in result.output
    assert "stopped; no decisions" in result.output


def test_cli_on_all_interfaces_prints_the_token_prominently(
    tmp_path: Path, no_server: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from copygen.serve import server as serving

    bound: list[tuple[str, int]] = []
    real_bind = serving.bind_socket

    def fake_bind(host: str, port: int) -> socket.socket:
        bound.append((host, port))
        return real_bind("127.0.0.1", 0)  # nothing listens on the network in a test

    monkeypatch.setattr(serving, "bind_socket", fake_bind)
    outdir = make_outdir(tmp_path / "out", desk_items())
    result = runner.invoke(
        app, ["serve", str(outdir), "--host", "0.0.0.0", "--port", "9999", "--open"]
    )
    assert result.exit_code == 0, result.output
    assert bound == [("0.0.0.0", 9999)]
    assert no_server[0]["open_browser"] is True
    token = no_server[0]["token"]
    assert "WARNING: listening on 0.0.0.0" in result.output
    assert f"ACCESS TOKEN:  {token}" in result.output
    # With a token of one's own it is not printed again.
    result = runner.invoke(
        app,
        ["serve", str(outdir), "--host", "0.0.0.0", "--port", "9999"],
        env={"COPYGEN_SERVE_TOKEN": "team-secret-0123456789"},
    )
    assert result.exit_code == 0, result.output
    assert no_server[1]["token"] == "team-secret-0123456789"
    assert "team-secret-0123456789" not in result.output
    assert "the --token you gave" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "Invalid value for '--port'"),
        (["--port", "http"], "Invalid value for '--port'"),
        (["--token", "short"], "token is too short"),
        (["--token", "with spaces in the token!"], "printable ASCII"),
        (["--host", "no.such.host.invalid"], "cannot listen on 'no.such.host.invalid'"),
    ],
)
def test_cli_option_errors_exit_2(
    tmp_path: Path, no_server: list[dict[str, Any]], args: list[str], message: str
) -> None:
    outdir = make_outdir(tmp_path / "out", desk_items())
    result = runner.invoke(app, ["serve", str(outdir), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert no_server == []
    assert "Traceback" not in result.output


def test_cli_port_in_use_is_one_line_and_exit_2(
    tmp_path: Path, no_server: list[dict[str, Any]]
) -> None:
    outdir = make_outdir(tmp_path / "out", desk_items())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["serve", str(outdir), "--port", str(port)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"copygen: error: port {port} on 127.0.0.1 is in use (another copygen serve?) "
        "(pick another with --port, or --port 0 for any free port)"
    ]
    assert no_server == []


def test_cli_wrong_folder_is_the_review_error(
    tmp_path: Path, no_server: list[dict[str, Any]]
) -> None:
    (tmp_path / "empty").mkdir()
    for folder, message in (
        (tmp_path / "missing", "output folder not found"),
        (tmp_path / "empty", "no results.jsonl"),
    ):
        served = runner.invoke(app, ["serve", str(folder)])
        reviewed_ = runner.invoke(app, ["review", str(folder), "--list"])
        assert served.exit_code == reviewed_.exit_code == 2
        assert message in served.output
        assert served.output == reviewed_.output
    assert no_server == []


def test_the_command_serves_until_stopped_and_closes_the_sessions(tmp_path: Path) -> None:
    """The real command in its own process: start, one decision, SIGTERM, a clean end."""
    import os
    import signal

    outdir = make_outdir(tmp_path / "out", desk_items())
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "copygen", "serve", str(outdir), "--port", "0"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(2)]
        address = lines[1].split("open", 1)[1].strip()
        port = int(address.split(":")[2].split("/")[0])
        token = address.split("token=", 1)[1]
        served = Served(outdir=outdir, desk=None, port=port, token=token)  # type: ignore[arg-type]
        assert served.decide(EN, decision="approve", reviewer="term").status == 200
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "stopped; approved 1" in out
    assert f"POST /api/items/{EN}/decision 200" in err  # changes are logged, by path
    assert token not in err
    events = list(read_events(outdir / "audit.jsonl"))
    assert [e["event"] for e in events] == ["run_started", "reviewed", "run_finished"]
    assert events[-1]["counts"] == {"approved": 1}
    audit_verifies(outdir)


def test_check_does_not_import_the_web_stack() -> None:
    code = (
        "import sys, copygen.cli.main\n"
        "heavy = ('starlette', 'uvicorn', 'copygen.serve.app')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

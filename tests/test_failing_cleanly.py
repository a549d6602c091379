"""Failing cleanly: full disks, read-only folders, hostile templates, broken links, busy reviewers.

Every failure here must end in one ``copygen: error: ...`` line naming the file, exit
code 2, no traceback, no torn line in results.jsonl and no temp file left behind.
Disk-full and read-only conditions are simulated (tests run as root, which ignores
permissions): os.write / os.fdopen / os.open / os.mkdir raise the OS error for the
files a test names, everything else is written for real.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from test_review_fixtures import make_outdir
from typer.testing import CliRunner

from copygen.audit import AuditLog, read_events, verify
from copygen.cli.main import app
from copygen.config import load_settings
from copygen.errors import AuditLockedError, InputError
from copygen.files.atomic import WriteError, atomic_writer, remove_stale_temps
from copygen.generate.store import ResultStore
from copygen.review import Decision, ReviewSession, write_report
from copygen.review.report_assets import JS

runner = CliRunner()

PRODUCTS = (
    "sku,title,category,selling_points,price\n"
    "A1,水润保湿精华液 30ml,美妆,含透明质酸钠；质地清爽,199\n"
    "B2,高山绿茶 250g,食品,明前采摘；独立小包装,88\n"
    "C3,无线降噪耳机,数码,主动降噪；续航30小时,599\n"
)
TMP_NAME = re.compile(r"^\..*\.tmp$")


@pytest.fixture
def products(tmp_path: Path) -> Path:
    path = tmp_path / "products.csv"
    path.write_text(PRODUCTS, encoding="utf-8")
    return path


def generate(products: Path, outdir: Path, *extra: str) -> Any:
    return runner.invoke(
        app, ["generate", str(products), "-o", str(outdir), "-p", "social", *extra]
    )


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("copygen: error:")]


def assert_one_clean_error(result: Any, *fragments: str) -> str:
    """Exit 2, exactly one error line holding every fragment, and no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "Exception ignored" not in result.output
    lines = error_lines(result.output)
    assert len(lines) == 1, result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if TMP_NAME.match(p.name))


def assert_whole_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of a JSONL file complete (newline-terminated) and valid."""
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n"), data[-200:]
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


# --- simulated disk trouble ---------------------------------------------------------------


def _fd_name(fd: int) -> str:
    try:
        return os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return ""


class _Raw(io.RawIOBase):
    """A file descriptor whose writes go through ``write`` (the patched os.write)."""

    def __init__(self, fd: int, write: Any) -> None:
        super().__init__()
        self._fd = fd
        self._write = write

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return int(self._write(self._fd, data))

    def seek(self, offset: int, whence: int = 0) -> int:
        return os.lseek(self._fd, offset, whence)

    def tell(self) -> int:
        return os.lseek(self._fd, 0, os.SEEK_CUR)

    def fileno(self) -> int:
        return self._fd

    def close(self) -> None:
        if not self.closed:
            try:
                os.close(self._fd)
            finally:
                super().close()


class DiskFull:
    """Writes to files whose name matches ``pattern`` fail with ``code`` after ``budget`` bytes.

    The write that crosses the budget writes what still fits and returns a short
    count (as a real full disk does); the next one raises. Covers os.write (the
    result store, the audit log) and files opened with os.fdopen (atomic writes).
    """

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, pattern: str, budget: int, code: int = errno.ENOSPC
    ) -> None:
        if not os.path.isdir("/proc/self/fd"):
            pytest.skip("needs /proc/self/fd to tell files apart")
        self.pattern = re.compile(pattern)
        self.left = budget
        self.code = code
        self.refused = 0
        self._write = os.write
        self._fdopen = os.fdopen
        monkeypatch.setattr(os, "write", self.write)
        monkeypatch.setattr(os, "fdopen", self.fdopen)

    def write(self, fd: int, data: Any) -> int:
        if not self.pattern.search(_fd_name(fd)):
            return self._write(fd, data)
        if self.left <= 0:
            self.refused += 1
            raise OSError(self.code, os.strerror(self.code))
        view = memoryview(data)[: self.left]
        self.left -= len(view)
        return self._write(fd, view)

    def fdopen(self, fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "r" in mode or not self.pattern.search(_fd_name(fd)):
            return self._fdopen(fd, mode, *args, **kwargs)
        buffered = io.BufferedWriter(_Raw(fd, self.write))
        if "b" in mode:
            return buffered
        return io.TextIOWrapper(
            buffered, encoding=kwargs.get("encoding"), newline=kwargs.get("newline")
        )


def read_only(monkeypatch: pytest.MonkeyPatch, folder: Path, code: int = errno.EROFS) -> None:
    """Creating files or folders inside ``folder`` fails with ``code``."""
    inside = str(folder.resolve())
    real_open, real_mkdir = os.open, os.mkdir
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT

    def under(path: Any) -> bool:
        resolved = os.path.abspath(os.fspath(path))
        return resolved == inside or resolved.startswith(inside + os.sep)

    def fake_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & writing and under(path):
            raise OSError(code, os.strerror(code), os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    def fake_mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        if under(path):
            raise OSError(code, os.strerror(code), os.fspath(path))
        real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "mkdir", fake_mkdir)


# --- 1. write failures: disk full, read-only, no permission -------------------------------


def test_disk_full_in_results_jsonl_is_one_line_and_leaves_no_torn_line(
    products: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outdir = tmp_path / "out"
    # Room for the first record and part of the second.
    disk = DiskFull(monkeypatch, r"^results\.jsonl$", budget=2_500)
    result = generate(products, outdir)
    line = assert_one_clean_error(result, "results.jsonl", "no space left on the device")
    assert "run the same command again" in line
    assert disk.refused >= 1
    kept = assert_whole_lines(outdir / "results.jsonl")
    assert len(kept) == 1
    assert temp_files(outdir) == []
    assert verify(outdir / "audit.jsonl").ok
    finished = [e for e in read_events(outdir / "audit.jsonl") if e["event"] == "run_finished"]
    assert finished[-1]["outcome"] == "failed"

    # Space again: the same command resumes and finishes; nothing is duplicated.
    monkeypatch.undo()
    again = generate(products, outdir)
    assert again.exit_code == 0, again.output
    records = assert_whole_lines(outdir / "results.jsonl")
    assert len(records) == 3 and len({r["id"] for r in records}) == 3
    assert kept[0]["id"] in {r["id"] for r in records}
    assert verify(outdir / "audit.jsonl").ok


def test_disk_full_in_the_audit_log_is_one_line(
    products: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outdir = tmp_path / "out"
    # Room for the run's first events and the first item's; not for the second item's.
    DiskFull(monkeypatch, r"^audit\.jsonl$", budget=16_000)
    result = generate(products, outdir)
    assert_one_clean_error(result, "audit.jsonl", "run the same command again")
    assert_whole_lines(outdir / "results.jsonl")
    assert temp_files(outdir) == []
    monkeypatch.undo()
    assert verify(outdir / "audit.jsonl").ok  # a partial event was taken back


@pytest.mark.parametrize("table", ["results.csv", "results.xlsx"])
def test_disk_full_in_an_atomic_write_removes_the_temp_file(
    products: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str
) -> None:
    outdir = tmp_path / "out"
    DiskFull(monkeypatch, rf"^\.{re.escape(table)}\..*\.tmp$", budget=1_000)
    result = generate(products, outdir, "--xlsx")
    assert_one_clean_error(result, str(outdir / table), "no space left on the device")
    assert temp_files(outdir) == []
    assert not (outdir / table).exists()
    assert len(assert_whole_lines(outdir / "results.jsonl")) == 3  # the records are all there


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "permission denied"),
        (errno.EDQUOT, "disk quota exceeded"),
    ],
)
def test_export_and_report_to_an_unwritable_folder(
    products: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, words: str
) -> None:
    outdir = tmp_path / "out"
    assert generate(products, outdir).exit_code == 0
    locked = tmp_path / "locked"
    locked.mkdir()
    read_only(monkeypatch, locked, code)
    for args, target in (
        (["export", str(outdir), "--to", str(locked / "pub.csv")], locked / "pub.csv"),
        (["report", str(outdir), "-o", str(locked / "r.html")], locked / "r.html"),
        (["export", str(outdir), "--to", str(locked / "sub" / "p.jsonl")], locked / "sub"),
    ):
        result = runner.invoke(app, args)
        assert_one_clean_error(result, f"{target}:", words)
    assert list(locked.iterdir()) == []


def test_generate_into_a_read_only_folder(
    products: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    read_only(monkeypatch, parent)
    result = generate(products, parent / "out")
    assert_one_clean_error(result, str(parent / "out"), "read-only file system")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_generate_into_a_folder_without_write_permission(products: Path, tmp_path: Path) -> None:
    parent = tmp_path / "closed"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        result = generate(products, parent / "out")
    finally:
        parent.chmod(0o700)
    assert_one_clean_error(result, str(parent / "out"), "permission denied")


def test_an_unexpected_os_error_is_still_one_line(
    products: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import copygen.generate.run as run_module

    def refuse(path: Any) -> str:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(run_module, "file_sha256", refuse)
    result = generate(products, tmp_path / "out")
    assert_one_clean_error(result, f"{products}: permission denied")


def test_atomic_writer_cleans_up_on_any_exception(tmp_path: Path) -> None:
    target = tmp_path / "data.csv"
    target.write_text("old", encoding="utf-8")
    for exc in (ValueError("bad row"), KeyboardInterrupt()):
        with pytest.raises(type(exc)), atomic_writer(target, "w", encoding="utf-8") as handle:
            handle.write("half")
            raise exc
    with (
        pytest.raises(WriteError, match="no space left") as info,
        atomic_writer(target, "w", encoding="utf-8"),
    ):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert info.value.file == str(target) and info.value.errno == errno.ENOSPC
    # An OSError about another file (an input read in the block) is not blamed on it.
    with pytest.raises(FileNotFoundError), atomic_writer(target, "w", encoding="utf-8"):
        (tmp_path / "missing.csv").read_text(encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "old"
    assert temp_files(tmp_path) == []


def test_generate_removes_stale_temp_files_of_its_own(products: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    own = [".results.csv.a1b2c3d4.tmp", ".results.jsonl.zz_9y8x7.tmp", ".run.json.abcdefgh.tmp"]
    foreign = [".notes.txt.a1b2c3d4.tmp", "mine.tmp", ".results.csv.toolongname.tmp"]
    for name in own + foreign:
        (outdir / name).write_text("left by a killed run", encoding="utf-8")
    result = generate(products, outdir)
    assert result.exit_code == 0, result.output
    names = {p.name for p in outdir.iterdir()}
    assert not names & set(own)
    assert set(foreign) <= names


def test_remove_stale_temps_only_touches_the_names_given(tmp_path: Path) -> None:
    (tmp_path / ".a.csv.12345678.tmp").write_text("x", encoding="utf-8")
    (tmp_path / ".b.csv.12345678.tmp").write_text("x", encoding="utf-8")
    removed = remove_stale_temps(tmp_path, ["a.csv"])
    assert [p.name for p in removed] == [".a.csv.12345678.tmp"]
    assert (tmp_path / ".b.csv.12345678.tmp").exists()
    assert remove_stale_temps(tmp_path / "missing", ["a.csv"]) == []


def test_result_store_takes_back_a_short_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ResultStore(tmp_path)
    store.append({"id": "a", "status": "pass", "fields": {"body": "x" * 100}})
    DiskFull(monkeypatch, r"^results\.jsonl$", budget=50)
    with pytest.raises(WriteError, match=r"results\.jsonl"):
        store.append({"id": "b", "status": "pass", "fields": {"body": "y" * 500}})
    monkeypatch.undo()
    store.append({"id": "c", "status": "pass"})
    store.close()
    assert [r["id"] for r in assert_whole_lines(tmp_path / "results.jsonl")] == ["a", "c"]


# --- 2. templates that never end or fill the memory ---------------------------------------


def render_cli(products: Path, folder: Path, source: str) -> Any:
    folder.mkdir(exist_ok=True)
    (folder / "social.zh.j2").write_text(source + "\n", encoding="utf-8")
    args = ["templates", "render", "social", "-i", str(products), "--templates", str(folder)]
    return runner.invoke(app, args)


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("{{ range(10**8) }}", "range() of 100,000,000 items"),
        ("{{ 'a'*10**10 }}", "repeating a value 10,000,000,000 times"),
        (
            "{% for i in range(10**6) %}{% for j in range(10**6) %}x{% endfor %}{% endfor %}",
            "range() of 1,000,000 items",
        ),
        (
            "{% for i in range(10**5) %}{% for j in range(10**5) %}x{% endfor %}{% endfor %}",
            "the rendered text is longer than 262,144 characters",
        ),
        ("{{ 9**999999 }}", "a number larger than 4096 bits"),
        ("{{ 'a'|center(1000000000) }}", "the center filter with width 1,000,000,000"),
        ("{{ 'a'.ljust(10**9) }}", "str.ljust(1,000,000,000)"),
        ("{{ '%999999999s' % 'x' }}", "a field width of 999,999,999"),
        ("{{ '{:>999999999}'.format('x') }}", "a field width of 999,999,999"),
        (
            "{% set ns = namespace(s='ab') %}{% for i in range(64) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "a value of 524,288 characters or items",
        ),
        (
            "{% set ns = namespace(s='ab') %}{% for i in range(64) %}"
            "{% set ns.s %}{{ ns.s }}{{ ns.s }}{% endset %}{% endfor %}",
            "a value of 524,288 characters or items",
        ),
    ],
)
def test_hostile_templates_are_template_errors(
    products: Path, tmp_path: Path, source: str, says: str
) -> None:
    started = time.monotonic()
    result = render_cli(products, tmp_path / "tpl", source)
    assert_one_clean_error(result, "template 'social.zh.j2'", says, "at most 262,144 characters")
    assert time.monotonic() - started < 5


def test_a_macro_calling_itself_is_a_template_error(products: Path, tmp_path: Path) -> None:
    source = "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}"
    result = render_cli(products, tmp_path / "tpl", source)
    assert_one_clean_error(result, "template 'social.zh.j2' line 1: calls nest too deeply")


@pytest.mark.parametrize(
    "source",
    [
        # Loops whose bodies call nothing, and macros that double their work.
        "{% for i in range(10**5) %}{% for j in range(10**5) %}{% endfor %}{% endfor %}",
        "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}"
        "{{ m(60) }}",
    ],
)
def test_slow_templates_meet_the_time_limit(
    products: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    import copygen.writing.sandbox as sandbox

    monkeypatch.setattr(sandbox, "RENDER_TIME_LIMIT", 0.3)
    started = time.monotonic()
    result = render_cli(products, tmp_path / "tpl", source)
    assert_one_clean_error(result, "template 'social.zh.j2'", "took longer than 0.3 s")
    assert time.monotonic() - started < 3


def test_limits_leave_ordinary_templates_alone(products: Path, tmp_path: Path) -> None:
    source = (
        "{% set t %}[{{ product.title }}]{% endset %}{{ t ~ '!' }} {{ 'ab' * 3 }} {{ 2 ** 10 }} "
        "{{ '%5s|' % 'x' }}{{ '{:>4}'.format('y') }} {{ 'z'|center(5) }}|"
        "{% for p in product.selling_points %}"
        "{{ loop.index }}/{{ loop.length }}:{{ p }} {% endfor %}"
        "{% for i in range(300) if i % 100 == 0 %}{{ i }},{% endfor %}"
    )
    result = render_cli(products, tmp_path / "tpl", source)
    assert result.exit_code == 0, result.output
    expected = "[水润保湿精华液 30ml]! ababab 1024     x|   y   z  |1/2:含透明质酸钠 2/2:质地清爽 "
    assert expected + "0,100,200," in result.output


def test_generate_with_a_hostile_template_stops_with_one_line(
    products: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "social.zh.j2").write_text("{{ 'a' * 10**10 }}\n", encoding="utf-8")
    result = generate(products, tmp_path / "out", "--templates", str(folder))
    assert_one_clean_error(result, "template 'social.zh.j2'", "repeating a value")


# --- 3. the report's links -------------------------------------------------------------------

# A page with just what the report's script touches, enough to run it in node.
_NODE_PAGE = """
const hash = process.argv[process.argv.length - 1];
function el(extra) {
  return Object.assign({value: '', hidden: true, textContent: '', dataset: {},
    addEventListener() {}}, extra);
}
const items = [
  el({dataset: {status: 'blocked', platform: 'social', categories: 'absolute_term'},
      textContent: '最好的绿茶'}),
  el({dataset: {status: 'review', platform: 'detail', categories: 'pii'},
      textContent: '100% 纯棉'}),
];
const byId = {filters: el({}), 'f-status': el({}), 'f-platform': el({}),
  'f-category': el({}), 'f-text': el({}), 'f-count': el({})};
global.document = {getElementById: (id) => byId[id] || null,
  querySelectorAll: () => items};
global.location = {hash: hash, pathname: '/report.html'};
global.history = {replaceState() {}};
require('vm').runInThisContext(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify({
  bar: byId.filters.hidden, status: byId['f-status'].value, q: byId['f-text'].value,
  count: byId['f-count'].textContent, shown: items.map((i) => !i.hidden)}));
"""


def run_report_script(hash_part: str) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed")
    done = subprocess.run(
        [node, "-e", _NODE_PAGE, hash_part],
        input=JS,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


@pytest.mark.parametrize(
    ("hash_part", "expected"),
    [
        ("#q=%E0%A4%A", {"q": "%E0%A4%A", "count": "0 / 2"}),
        ("#q=%E0%A4%A&status=blocked", {"status": "blocked", "count": "0 / 2"}),
        ("#status=review&q=100%", {"status": "review", "q": "100%", "count": "1 / 2"}),
        ("#q=%E7%BB%BF%E8%8C%B6", {"q": "绿茶", "count": "1 / 2"}),
        ("#constructor=x&__proto__=y&q=%", {"q": "%", "count": "1 / 2"}),
    ],
)
def test_report_script_survives_malformed_links(hash_part: str, expected: dict[str, Any]) -> None:
    state = run_report_script(hash_part)
    assert state["bar"] is False  # the script ran to the end and showed the filter bar
    for key, value in expected.items():
        assert state[key] == value, state


@pytest.fixture
def report_page(tmp_path: Path) -> Path:
    outdir = make_outdir(tmp_path / "out")
    target = tmp_path / "report.html"
    write_report(outdir=outdir, output=target)
    return target


@pytest.mark.slow
def test_browser_filters_survive_a_malformed_link(tmp_path: Path, report_page: Path) -> None:
    from test_report import _run_chromium, parse, squash

    counts = {}
    for hash_part in ("#q=%E0%A4%A", "#status=blocked&junk=%E0%A4%A"):
        done = _run_chromium(tmp_path, "--dump-dom", report_page.as_uri() + hash_part)
        assert done.returncode == 0, done.stderr[-2000:]
        dom = parse(done.stdout)
        filters = next(attrs for _, attrs in dom.tags if attrs.get("id") == "filters")
        assert "hidden" not in filters
        counts[hash_part] = squash(dom.texts["f-count"])
    assert counts["#q=%E0%A4%A"] == "0 / 5"  # the text, taken literally, matches nothing
    assert counts["#status=blocked&junk=%E0%A4%A"] == "2 / 5"  # the filter still applies


# --- 4. reviewers do not lock each other out ------------------------------------------------

SOCIAL = "BT-001:social:zh:v1"  # review
DETAIL = "BT-001:detail:zh:v1"  # blocked
EN = "EL-001:social:en:v1"  # review


@pytest.fixture
def review_dir(tmp_path: Path) -> Path:
    return make_outdir(tmp_path / "out")


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    return load_settings(cli={}, cwd=tmp_path, home=tmp_path)


def statuses(outdir: Path) -> dict[str, str]:
    return {r["id"]: r["status"] for r in assert_whole_lines(outdir / "results.jsonl")}


@pytest.fixture
def quick_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    import copygen.review.session as session_module

    monkeypatch.setattr(session_module, "LOCK_WAIT", 0.3)


@contextmanager
def folder_held_by_a_run(outdir: Path) -> Iterator[None]:
    """What a generate run holds for its whole length: the folder lock and the audit log."""
    with ResultStore(outdir).lock(), AuditLog.open(outdir / "audit.jsonl"):
        yield


def test_two_sessions_deciding_alternately_both_succeed(review_dir: Path, settings: Any) -> None:
    with (
        ReviewSession.open(review_dir, settings=settings, reviewer="alice") as alice,
        ReviewSession.open(review_dir, settings=settings, reviewer="bob") as bob,
    ):
        alice.decide(Decision(SOCIAL, "approve"))
        bob.decide(Decision(EN, "reject", reason="夸大"))
        alice.decide(Decision(DETAIL, "reject", reason="绝对化用语"))
        # Bob's view was read before Alice decided; his decision is made on the record
        # as it is now, and his undo goes back to that.
        bob.decide(Decision(SOCIAL, "reject", reason="second opinion"))
        assert bob.history[-1].previous["status"] == "approved"
        bob.undo()
    assert statuses(review_dir)[SOCIAL] == "approved"
    assert statuses(review_dir)[EN] == "rejected"
    assert statuses(review_dir)[DETAIL] == "rejected"
    report = verify(review_dir / "audit.jsonl")
    assert report.ok
    events = read_events(review_dir / "audit.jsonl")
    runs = {e["run"] for e in events}
    assert len(runs) == 2  # one run per session, each bracketed
    for run in runs:
        kinds = [e["event"] for e in events if e["run"] == run]
        assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    reviewed = [(e["reviewer"], e["decision"]) for e in events if e["event"] == "reviewed"]
    assert reviewed == [
        ("alice", "approved"),
        ("bob", "rejected"),
        ("alice", "rejected"),
        ("bob", "rejected"),
        ("bob", "undone"),
    ]


def test_undo_refuses_to_throw_away_another_reviewers_decision(
    review_dir: Path, settings: Any
) -> None:
    with (
        ReviewSession.open(review_dir, settings=settings, reviewer="alice") as alice,
        ReviewSession.open(review_dir, settings=settings, reviewer="bob") as bob,
    ):
        alice.decide(Decision(SOCIAL, "approve"))
        bob.decide(Decision(SOCIAL, "reject", reason="no"))
        with pytest.raises(InputError, match="decided again since, by bob"):
            alice.undo()
    assert statuses(review_dir)[SOCIAL] == "rejected"


def test_review_list_takes_no_lock(review_dir: Path, settings: Any) -> None:
    with ReviewSession.open(review_dir, settings=settings, reviewer="alice") as alice:
        alice.decide(Decision(SOCIAL, "approve"))
        with folder_held_by_a_run(review_dir):
            result = runner.invoke(app, ["review", str(review_dir), "--list"])
    assert result.exit_code == 0, result.output
    assert EN in result.output and DETAIL in result.output


def test_a_decision_waits_for_another_writer(review_dir: Path, settings: Any) -> None:
    held, release = threading.Event(), threading.Event()

    def other_reviewer() -> None:
        with ResultStore(review_dir).lock():
            held.set()
            release.wait(5)

    thread = threading.Thread(target=other_reviewer)
    thread.start()
    try:
        assert held.wait(5)
        threading.Timer(0.2, release.set).start()
        started = time.monotonic()
        with ReviewSession.open(review_dir, settings=settings, reviewer="alice") as alice:
            alice.decide(Decision(SOCIAL, "approve"))
        assert time.monotonic() - started >= 0.15
    finally:
        release.set()
        thread.join(5)
    assert statuses(review_dir)[SOCIAL] == "approved"


def test_a_decision_gives_up_cleanly_on_a_folder_a_run_holds(
    review_dir: Path, quick_locks: None
) -> None:
    with folder_held_by_a_run(review_dir):
        result = runner.invoke(
            app, ["review", str(review_dir), "--decide", f"{SOCIAL}=approve", "--reviewer", "a"]
        )
    assert_one_clean_error(result, "another copygen process is writing this output folder")
    assert statuses(review_dir)[SOCIAL] == "review"


def test_a_busy_audit_log_is_reported_when_the_session_starts(
    review_dir: Path, settings: Any, quick_locks: None
) -> None:
    with AuditLog.open(review_dir / "audit.jsonl"):
        session = ReviewSession.open(review_dir, settings=settings, reviewer="a")
        with pytest.raises(AuditLockedError, match="another process is writing"):
            session.start()
        session.close()
    assert statuses(review_dir)[SOCIAL] == "review"

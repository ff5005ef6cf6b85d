"""Issue 17, defect 7: output paths are checked before the search, temporaries are not left
behind, a vector suite is never missing, a symlink is written through, a report is never missing
beside its traces."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from paraspec.checker.cli import main
from paraspec.checker.outputs import replace_dir, sweep

ROOT = Path(__file__).resolve().parent.parent
LONG = "x" * 300
MUTANT = ["check", "--mutant", "av_threshold_ge", "-q"]


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def no_search(monkeypatch):
    """The checks happen before any search: a search would fail the test."""
    from paraspec.checker import explicit

    def boom(*a, **k):
        raise AssertionError("the search ran before the output paths were checked")

    monkeypatch.setattr(explicit.Checker, "run", boom)


def _one_line_exit_2(code, err, needle):
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("paraspec: error:"), err
    assert needle in err, err


@pytest.mark.parametrize("argv,needle", [
    (["--trace-dir", "{tmp}/afile/sub", "--json", "{tmp}/r.json"], "afile is not a directory"),
    (["--checkpoint", "{tmp}/afile/ck"], "afile is not a directory"),
    (["--json", "{tmp}/afile/r.json"], "afile is not a directory"),
    (["--junit", "{tmp}/afile/sub/j.xml"], "afile is not a directory"),
    (["--json", "{tmp}/" + LONG], "a name component is 300 bytes long"),
    (["--junit", "{tmp}/" + LONG + "/j.xml"], "a name component is 300 bytes long"),
    (["--trace-dir", "{tmp}/" + LONG], "a name component is 300 bytes long"),
    (["--trace-dir", "{tmp}/ok/" + LONG + "/t"], "a name component is 300 bytes long"),
    (["--checkpoint", "{tmp}/" + LONG], "a name component is 300 bytes long"),
    (["--json", "{tmp}/" + "y" * 240], "to leave room for a temporary"),
    (["--json", "{tmp}/d/"], "names a directory"),
    (["--trace-dir", "{tmp}/afile"], "exists and is not a directory"),
])
def test_check_output_paths_before_the_search(tmp_path, capsys, no_search, argv, needle):
    (tmp_path / "afile").write_text("x")
    code, out, err = run_cli(capsys, "check", "availability", "-q", *[a.replace("{tmp}", str(tmp_path))
                                                                     for a in argv])
    _one_line_exit_2(code, err, needle)
    assert not (tmp_path / "r.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_prove_checks_its_output_paths(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    code, out, err = run_cli(capsys, "prove", "availability", "--trace-dir", tmp_path / "afile/sub",
                             "--json", tmp_path / "r.json")
    _one_line_exit_2(code, err, "afile is not a directory")


@pytest.mark.parametrize("argv,needle", [
    (["vectors", "generate", "--out", "{tmp}/" + LONG], "a name component is 300 bytes long"),
    (["vectors", "generate", "--out", "{tmp}/afile/v"], "afile is not a directory"),
    (["vectors", "run", "{tmp}", "--adapter", "x", "--json", "{tmp}/afile/r.json"], "afile is not a directory"),
    (["vectors", "run", "{tmp}", "--adapter", "x", "--junit", "{tmp}/" + LONG], "300 bytes long"),
])
def test_vectors_output_paths(tmp_path, capsys, argv, needle):
    (tmp_path / "afile").write_text("x")
    code, out, err = run_cli(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    _one_line_exit_2(code, err, needle)


def _unwritable_dir(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        d = tmp_path / "ro"
        d.mkdir()
        d.chmod(0o500)
        return d
    for d in (Path("/sys"), Path("/proc")):  # root ignores modes; these refuse new files even to root
        if d.is_dir():
            try:
                open(d / "paraspec-probe.json", "x").close()
            except OSError:
                return d
            os.unlink(d / "paraspec-probe.json")
    pytest.skip("no directory this user cannot write")


@pytest.mark.parametrize("flag", ["--json", "--junit", "--trace-dir", "--checkpoint"])
def test_unwritable_directory(tmp_path, capsys, no_search, flag):
    d = _unwritable_dir(tmp_path)
    target = d / ("sub" if flag in ("--trace-dir", "--checkpoint") else "r.out")
    code, out, err = run_cli(capsys, "check", "availability", "-q", flag, target)
    _one_line_exit_2(code, err, f"cannot write in {d}")


# -- temporaries and the order of the files, under a kill -----------------------------------------------


def _run_killed(tmp_path: Path, argv: list[str], kill_at: str, nth: int) -> int:
    """Run ``paraspec argv`` in a fresh process that SIGKILLs itself at the ``nth`` call of
    ``os.<kill_at>`` (a kill at the worst moment, made deterministic)."""
    code = textwrap.dedent(f'''
        import os, signal, sys
        real = getattr(os, {kill_at!r})
        calls = [0]
        def patched(*a, **k):
            calls[0] += 1
            if calls[0] == {nth}:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*a, **k)
        setattr(os, {kill_at!r}, patched)
        from paraspec.checker.cli import main
        sys.exit(main({[str(a) for a in argv]!r}))
    ''')
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    return p.returncode


def _leftovers(*dirs: Path) -> list[str]:
    return sorted(p.name for d in dirs if d.is_dir() for p in d.iterdir() if "tmp" in p.name or ".old" in p.name)


@pytest.mark.parametrize("nth", [1, 2, 3])
def test_a_kill_while_writing_leaves_no_temporary_after_the_next_run(tmp_path, nth):
    tdir = tmp_path / "traces"
    argv = MUTANT + ["--trace-dir", tdir, "--json", tmp_path / "r.json", "--junit", tmp_path / "j.xml"]
    assert _run_killed(tmp_path, argv, "replace", nth) == -9
    # the next run (another check) into the same places
    nxt = ["check", "availability", "-q", "--max-states", "50", "--trace-dir", tdir, "--json", tmp_path / "r.json",
           "--junit", tmp_path / "j.xml"]
    assert main([str(a) for a in nxt]) in (0, 1)
    assert _leftovers(tmp_path, tdir) == []
    assert json.loads((tmp_path / "r.json").read_text())["tool"] == "paraspec"


@pytest.mark.parametrize("nth", [1, 2, 3])
def test_a_kill_never_leaves_traces_without_their_report(tmp_path, nth):
    tdir = tmp_path / "traces"
    argv = MUTANT + ["--trace-dir", tdir, "--json", tmp_path / "r.json"]
    assert _run_killed(tmp_path, argv, "replace", nth) == -9
    traces = list(tdir.glob("*.itf.json")) if tdir.is_dir() else []
    if traces:
        report = json.loads((tmp_path / "r.json").read_text())
        named = {Path(pr["trace_file"]).name for r in report["results"] for pr in r["properties"]
                 if pr["trace_file"]}
        assert {t.name for t in traces} <= named


def test_a_failed_write_removes_its_temporary(tmp_path, monkeypatch):
    from paraspec.checker.report import atomic_write

    def fail(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(Exception, match="No space left"):
        atomic_write(tmp_path / "r.json", "{}")
    assert list(tmp_path.iterdir()) == []


# -- vectors generate: the old suite stays until the new one is in place --------------------------------


GEN = ["vectors", "generate", "--machine", "availability", "--preset", "tiny", "--max-states", "100", "-q"]


def test_a_kill_during_the_replacement_keeps_a_suite(tmp_path):
    out = tmp_path / "v"
    assert main([*GEN, "--out", str(out)]) in (0, 1)
    before = (out / "index.json").read_text()
    # kill at the second rename: between "old suite aside" and "new suite in" in a two-rename swap
    _run_killed(tmp_path, [*GEN, "--out", out], "rename", 2)
    sweep(tmp_path)  # what the next run does first
    assert (out / "index.json").read_text() == before
    assert _leftovers(tmp_path) == []


def test_fallback_replacement_restores_or_is_repaired(tmp_path, monkeypatch):
    """Without an atomic exchange: a failed second rename puts the old directory back; a kill
    between the renames is repaired by the next run's sweep."""
    from paraspec.checker import outputs

    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    out, new = tmp_path / "v", tmp_path / ".v.paraspec-1-0.tmp"
    out.mkdir()
    (out / "index.json").write_text("old")
    new.mkdir()
    (new / "index.json").write_text("new")
    real = os.rename

    def second_fails(a, b):
        if Path(a) == new:
            raise OSError(5, "I/O error")
        return real(a, b)

    monkeypatch.setattr(os, "rename", second_fails)
    with pytest.raises(OSError):
        replace_dir(out, new)
    assert (out / "index.json").read_text() == "old"
    monkeypatch.setattr(os, "rename", real)
    replace_dir(out, new)
    assert (out / "index.json").read_text() == "new"
    # a kill between the renames left the old one aside (by a process that is gone)
    aside = tmp_path / ".v.paraspec-999999999-0.old"
    out.rename(aside)
    sweep(tmp_path)
    assert (out / "index.json").read_text() == "new" and not aside.exists()


# -- links and special files ------------------------------------------------------------------------------


def test_json_onto_a_symlink_writes_through(tmp_path, capsys):
    target = tmp_path / "runs" / "r1.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    assert run_cli(capsys, "check", "availability", "-q", "--max-states", "50", "--json", link)[0] in (0, 1)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["tool"] == "paraspec"
    assert _leftovers(tmp_path, target.parent) == []


def test_json_into_a_fifo_is_written_directly(tmp_path, capsys):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert run_cli(capsys, "check", "availability", "-q", "--max-states", "50", "--json", fifo)[0] in (0, 1)
        data = b""
        while chunk := os.read(fd, 1 << 16):
            data += chunk
    finally:
        os.close(fd)
    assert json.loads(data)["tool"] == "paraspec"
    assert fifo.is_fifo()

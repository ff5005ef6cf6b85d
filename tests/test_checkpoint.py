"""Checkpoint and resume: a run killed at any point and resumed ends with the same report."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paraspec.checker.explicit import Checker
from paraspec.checker.registry import build, properties_of

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["check", "availability", "--preset", "trio", "--engine", "explicit", "-q"]


def paraspec(*argv, **kw):
    return subprocess.Popen([sys.executable, "-c", "import sys; from paraspec.checker.cli import main; sys.exit(main())",
                             *argv], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def report(path):
    data = json.loads(Path(path).read_text())
    for r in data["results"]:
        r.pop("elapsed_s")
    return data


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "r.json"
    p = paraspec(*ARGS, "--json", str(out))
    assert p.wait(timeout=600) == 0, p.stderr.read().decode()
    return report(out)


@pytest.mark.parametrize("kills", [1, 3])
def test_killed_and_resumed_run_gives_the_same_report(tmp_path, uninterrupted, kills):
    ckpt = tmp_path / "ckpt"
    pickle = ckpt / "availability" / "search.ckpt"
    for k in range(kills):
        argv = ["--checkpoint", str(ckpt)] if k == 0 else ["--resume", str(ckpt)]
        p = paraspec(*ARGS, *argv, "--checkpoint-every", "0.05", "--json", str(tmp_path / f"partial{k}.json"))
        before = pickle.stat().st_mtime_ns if pickle.exists() else None
        deadline = time.time() + 300
        while time.time() < deadline and p.poll() is None:
            if pickle.exists() and pickle.stat().st_mtime_ns != before:
                break
            time.sleep(0.01)
        if p.poll() is not None:
            pytest.skip("the run finished before it could be killed (machine too fast)")
        time.sleep(0.05 * (k + 1))
        p.send_signal(signal.SIGKILL)
        p.wait()
        assert not (tmp_path / f"partial{k}.json").exists()
    assert pickle.exists()
    out = tmp_path / "resumed.json"
    p = paraspec(*ARGS, "--resume", str(ckpt), "--json", str(out))
    assert p.wait(timeout=600) == 0, p.stderr.read().decode()
    assert report(out) == uninterrupted


def test_resume_of_a_finished_run_reports_the_same(tmp_path):
    m = build("inclusion", "tiny", overrides={"max_candidates": 1})
    props = properties_of("inclusion")
    a = Checker(m).with_properties(props).with_engine("explicit").with_checkpoint(str(tmp_path)).run()
    b = Checker(m).with_properties(props).with_engine("explicit").with_resume(str(tmp_path)).run()
    assert (a.states, a.depth, a.transitions) == (b.states, b.depth, b.transitions)
    assert [(p.verdict, p.trace) for p in a.properties] == [(p.verdict, p.trace) for p in b.properties]


def test_resume_errors_are_one_line(tmp_path, capsys):
    from paraspec.checker.cli import main

    assert main(["check", "availability", "--resume", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such checkpoint directory" in err
    # a checkpoint of another check is refused
    Checker(build("availability", "trio")).with_engine("explicit").with_checkpoint(
        str(tmp_path / "c" / "availability")).with_max_depth(2).run()
    assert main(["check", "availability", "--preset", "tiny", "--resume", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "another check" in err

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
#: a search of a few seconds (disputes tiny: 14,746 states), long enough to be killed three times after a
#: checkpoint (each kill costs it well under a second) and to stop at a 1 s time limit; it was availability
#: trio (19,084 states, 200,124 transitions), about half as long again, searched four times in this file
MACHINE = "disputes"
ARGS = ["check", MACHINE, "--preset", "tiny", "--engine", "explicit", "-q"]


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
    pickle = ckpt / MACHINE / "search.ckpt"
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


# -- resuming a search that stopped: it continues, under the new invocation's own limits ------------

def test_resume_after_a_time_limit_continues_to_the_uninterrupted_result(tmp_path, uninterrupted):
    """Issue 17, defect 3: ``--checkpoint ck --time-limit S`` then ``--resume ck`` ended at once
    with ``stopped=time_limit`` (the stop reason was saved and restored)."""
    ckpt = tmp_path / "ckpt"
    runs = []
    for k, argv in enumerate((["--checkpoint", str(ckpt), "--time-limit", "1"],
                              ["--resume", str(ckpt), "--time-limit", "1"],
                              ["--resume", str(ckpt)])):
        out = tmp_path / f"run{k}.json"
        p = paraspec(*ARGS, *argv, "--json", str(out))
        p.wait(timeout=600)
        assert p.returncode in (0, 1), p.stderr.read().decode()
        runs.append(report(out)["results"][0])
    if runs[0]["complete"]:
        pytest.skip("the search finished within the time limit (machine too fast)")
    assert runs[0]["stopped"] == "time_limit"
    # the second invocation has a time limit of its own: it counts from its start, so it goes on
    assert runs[1]["transitions"] > runs[0]["transitions"]
    assert runs[2]["complete"] and runs[2]["stopped"] is None
    final = report(tmp_path / "run2.json")
    assert final == uninterrupted


def _summary(r):
    return (r.states, r.transitions, r.depth, r.complete, r.stopped, r.deadlocks, r.rejections,
            [(p.property.name, p.verdict, p.trace, p.witnessed) for p in r.properties])


@pytest.fixture(scope="module")
def halts_mutant():
    """A small machine with liveness properties (the explored graph is checkpointed), and a mutant
    that violates an invariant and a liveness property (a lasso)."""
    return build("halts", "tiny", "hlt_emergency_never_lapses"), properties_of("halts")


@pytest.fixture(scope="module")
def halts_reference(halts_mutant):
    m, props = halts_mutant
    return Checker(m).with_properties(props).with_engine("explicit").run()


@pytest.mark.parametrize("limit", [("max_states", 700), ("max_depth", 6), ("time_limit", 1e-9)])
def test_a_search_stopped_by_a_limit_resumes_to_the_uninterrupted_result(tmp_path, halts_mutant, halts_reference,
                                                                          limit):
    m, props = halts_mutant
    base = Checker(m).with_properties(props).with_engine("explicit")
    first = getattr(base, "with_" + limit[0])(limit[1]).with_checkpoint(str(tmp_path)).run()
    assert first.stopped == limit[0] and not first.complete
    resumed = base.with_resume(str(tmp_path)).run()
    assert _summary(resumed) == _summary(halts_reference)
    assert any(p.property.name == "emergency_halt_ends" and p.verdict == "violated" and p.trace.loop is not None
               for p in resumed.properties)


def test_the_time_limit_of_a_resumed_search_counts_from_its_own_start(tmp_path, halts_mutant, halts_reference,
                                                                        monkeypatch):
    from paraspec.checker import checkpoint

    m, props = halts_mutant
    base = Checker(m).with_properties(props).with_engine("explicit")
    save = checkpoint.Checkpoints.save
    # as if the first run had been searching for almost three hours
    monkeypatch.setattr(checkpoint.Checkpoints, "save", lambda self, s, elapsed: save(self, s, elapsed + 10_000))
    base.with_max_states(700).with_checkpoint(str(tmp_path)).run()
    monkeypatch.undo()
    resumed = base.with_resume(str(tmp_path)).with_time_limit(3600).run()
    assert _summary(resumed) == _summary(halts_reference)
    assert resumed.elapsed >= 10_000  # the reported time is the whole search's


def test_a_stop_on_violation_is_kept_when_asked_again_and_lifted_otherwise(tmp_path, halts_mutant, halts_reference):
    m, props = halts_mutant
    base = Checker(m).with_properties(props).with_engine("explicit")
    stopping = base.with_stop_on_violation(["emergency_halt_within_limit"])
    alone = stopping.run()
    assert alone.stopped == "violation"
    stopping.with_checkpoint(str(tmp_path)).run()
    again = stopping.with_resume(str(tmp_path)).run()
    assert _summary(again) == _summary(alone)  # not one more state expanded
    lifted = base.with_resume(str(tmp_path)).run()  # ``--continue``
    assert _summary(lifted) == _summary(halts_reference)


def test_a_resumed_search_may_use_workers(tmp_path, halts_mutant, halts_reference):
    m, props = halts_mutant
    base = Checker(m).with_properties(props).with_engine("explicit")
    base.with_max_states(700).with_checkpoint(str(tmp_path)).run()
    resumed = base.with_workers(2).with_resume(str(tmp_path)).run()
    assert _summary(resumed) == _summary(halts_reference)


@pytest.mark.parametrize("symmetry", [False, True])
def test_resume_with_a_compact_layout_and_with_symmetry(tmp_path, symmetry):
    """``avail_core`` stores states by their layout code, and under symmetry by orbit representative."""
    m = build("avail_core", "tiny")
    base = Checker(m).with_properties(properties_of("avail_core")).with_engine("explicit").with_symmetry(symmetry)
    reference = base.with_max_depth(9).run()
    first = base.with_max_states(150).with_checkpoint(str(tmp_path)).run()
    assert first.stopped == "max_states"
    resumed = base.with_max_depth(9).with_resume(str(tmp_path)).run()
    assert _summary(resumed) == _summary(reference)
    assert resumed.engine == reference.engine == ("bfs+symmetry" if symmetry else "bfs")

"""``check --jobs``: several runs at once, each in a worker process (checker/jobs.py).

The report must be the one process's report (same runs, same order, same verdicts and traces); a
worker's usage error is the same one line; a worker that dies is one line naming the run; the
progress of several runs is shown per run.
"""

import io
import json
import os

import pytest
from rich.console import Console

from paraspec.checker.cli import main
from paraspec.checker.commands._progress import MultiProgress
from paraspec.checker.jobs import JobFailed, auto_jobs, run_jobs
from paraspec.checker.registry import UsageError


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _plain(report: dict) -> dict:
    """The report without wall times (the only figures that may differ between runs)."""
    for r in report["results"]:
        r.pop("elapsed_s")
        for p in r["properties"]:
            p.pop("at_s", None)
    return report


@pytest.mark.parametrize("argv", [
    ["escalation", "rescue", "configuration", "poa"],
    ["escalation", "--all-mutants"],
    ["rescue", "configuration", "--mutant", "cfg_no_consistency_check", "--mutant", "rsc_opt_out_ignored"],
])
def test_jobs_give_the_one_process_report(capsys, tmp_path, argv):
    """``--jobs 2`` and ``--jobs 1``: the same JSON report (runs in the order asked for, the same
    verdicts, counterexamples and counts) and the same exit code."""
    reports, codes = [], []
    for jobs in ("1", "2"):
        out = tmp_path / f"r{jobs}.json"
        code, stdout, err = run(capsys, "check", *argv, "--jobs", jobs, "--json", str(out),
                                "--trace-dir", str(tmp_path / f"t{jobs}"))
        assert "Traceback" not in err
        codes.append(code)
        reports.append(_plain(json.loads(out.read_text())))
        traces = sorted(p.name for p in (tmp_path / f"t{jobs}").iterdir()) if (tmp_path / f"t{jobs}").exists() else []
        reports[-1]["traces"] = traces
    assert codes[0] == codes[1]
    for r in reports:  # the trace paths name their directory: compare the file names
        for res in r["results"]:
            for p in res["properties"]:
                if p.get("trace_file"):
                    p["trace_file"] = os.path.basename(p["trace_file"])
    assert reports[0] == reports[1]
    assert len(reports[0]["results"]) >= 2


def test_every_run_is_reported_done_as_it_finishes(capsys):
    code, out, err = run(capsys, "check", "escalation", "rescue", "configuration", "--jobs", "2")
    assert code == 0, err
    assert sorted(line.split(" @ ")[0] for line in out.splitlines() if line.startswith("done ")) == [
        "done configuration", "done escalation", "done rescue"]
    assert "with 2 at once: all properties hold" in out


@pytest.mark.parametrize("argv,needle", [
    (["check", "escalation", "rescue", "--jobs", "0"], "--jobs"),
    (["check", "escalation", "rescue", "--jobs", "x"], "--jobs"),
    (["check", "escalation", "rescue", "--jobs", "2", "--checkpoint", "/tmp/paraspec-jobs-ckpt"],
     "--jobs and --checkpoint"),
])
def test_bad_jobs_are_one_line(capsys, argv, needle):
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.count("\n") == 1 and needle in err and "Traceback" not in err
    assert not os.path.exists("/tmp/paraspec-jobs-ckpt")


def test_a_usage_error_in_a_worker_is_the_same_line():
    def one(i, update):
        if i == 1:
            raise UsageError("--engine vector: machine b declares no vectorized rules")
        return []

    with pytest.raises(UsageError, match="machine b declares no vectorized rules"):
        run_jobs(2, ["a", "b", "c"], [[], [], []], one)


def test_a_dead_worker_is_one_line_naming_its_run():
    def one(i, update):
        if i == 2:
            os._exit(9)  # as the out-of-memory killer leaves it: no answer
        return []

    with pytest.raises(JobFailed) as e:
        run_jobs(2, ["a @ tiny", "b @ tiny", "c @ tiny"], [[], [], []], one)
    assert "check of c @ tiny" in str(e.value) and "exited with code 9" in str(e.value)
    assert "\n" not in str(e.value)


def test_results_come_back_in_job_order_with_progress():
    seen, done = [], []

    def one(i, update):
        update(10 * i, i, 0.1)
        return [i]

    got = run_jobs(2, ["a", "b", "c", "d"], [[]] * 4, one,
                   on_progress=lambda i, s, d, e: seen.append((i, s, d)),
                   on_done=lambda i, r: done.append(i))
    assert got == [[0], [1], [2], [3]]
    assert sorted(done) == [0, 1, 2, 3]
    assert sorted(seen) == [(i, 10 * i, i) for i in range(4)]


def test_auto_jobs_is_bounded_by_the_runs():
    assert auto_jobs(1) == 1
    assert 1 <= auto_jobs(100) <= (os.cpu_count() or 1)


def test_multi_progress_plain_lines_name_each_run():
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, width=200)
    mp = MultiProgress(console, ["runtime @ tiny", "paras @ tiny"], every=0.0)
    mp.start()
    mp.update(0, 1200, 4, 2.0)
    mp.update(1, 300, 2, 1.0)
    mp.done(1)
    mp.stop()
    lines = buf.getvalue().splitlines()
    assert lines == ["runtime @ tiny: 1,200 states, depth 4, 600 states/s, 2 s",
                     "paras @ tiny: 300 states, depth 2, 300 states/s, 1 s"]

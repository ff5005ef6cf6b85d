"""The performance options on the command line: engines, symmetry, workers, checkpoints."""

import json

import pytest

from paraspec.checker.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_symmetry_and_engine_in_the_report(capsys, tmp_path):
    out = tmp_path / "r.json"
    code, _, err = run(capsys, "check", "avail_core", "--preset", "trio", "--symmetry", "-q", "--json", str(out))
    assert code == 0, err
    r = json.loads(out.read_text())["results"][0]
    assert r["engine"] == "vector+symmetry" and r["complete"] and r["ok"]
    assert r["states"] < 50625
    assert {p["verdict"] for p in r["properties"]} == {"holds", "witnessed"}


def test_workers_give_the_same_report(capsys, tmp_path):
    """``--workers`` through the command line: the whole report is the same. (The engines' agreement
    on larger spaces, availability trio and inclusion, is test_parallel.py's; backing trio, 1,224
    states in levels of up to a few hundred, is enough to hand every worker several chunks.)"""
    reports = []
    for w in ("1", "2"):
        out = tmp_path / f"r{w}.json"
        code, _, err = run(capsys, "check", "backing", "--preset", "trio", "--workers", w, "-q",
                           "--json", str(out))
        assert code == 0, err
        r = json.loads(out.read_text())["results"][0]
        r.pop("elapsed_s")
        assert r.pop("engine") == ("bfs" if w == "1" else "bfsx2")
        reports.append(r)
    assert reports[0] == reports[1] and reports[0]["states"] == 1224


@pytest.mark.parametrize("argv,needle", [
    (["check", "disputes", "--engine", "vector"], "does not declare vectorized rules"),
    (["check", "avail_core", "--simulate", "--checkpoint", "/tmp/x"], "simulation is not checkpointed"),
    (["check", "avail_core", "--engine", "vector", "--checkpoint", "/tmp/paraspec-ckpt-test"], "checkpoints"),
    (["check", "avail_core", "--workers", "0"], "--workers"),
    (["check", "avail_core", "--engine", "fast"], "--engine"),
])
def test_bad_options_are_one_line(capsys, argv, needle):
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.count("\n") == 1 and needle in err and "Traceback" not in err


def test_vector_simulation_from_the_cli(capsys, tmp_path):
    out = tmp_path / "s.json"
    code, _, err = run(capsys, "check", "avail_core", "--simulate", "--steps", "20000", "--walk-depth", "40",
                       "--seed", "3", "-q", "--json", str(out))
    assert code == 0, err
    r = json.loads(out.read_text())["results"][0]
    assert r["engine"].startswith("vector-simulation") and r["transitions"] == 20000
    code, _, _ = run(capsys, "check", "avail_core", "--simulate", "--mutant", "ac_timeout_early", "--steps", "20000",
                     "-q")
    assert code == 1

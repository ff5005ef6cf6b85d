"""The command line: exit codes, one-line errors, reports, traces."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from paraspec.checker.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("argv,needle", [
    (["check", "nosuch"], "unknown machine 'nosuch'"),
    (["check", "--preset", "huge"], "--preset huge: not a preset of approval,"),
    (["check", "--mutant", "nosuch"], "unknown mutant 'nosuch'"),
    (["check", "--max-depth", "-3"], "--max-depth"),
    (["check", "--max-states", "lots"], "--max-states"),
    (["check", "--set", "n_validators=many"], "n_validators"),
    (["check", "--set", "nosuchfield=1"], "nosuchfield"),
    (["check", "--set", "n_validators=1"], "n_validators"),
    (["check", "--set", "backing_threshold=most"], "backing_threshold"),
    (["check", "halts", "--set", "n_validators=5"], "not a parameter of machine 'halts'"),
    (["check", "poa", "--set", "committee=5"], "not a parameter of machine 'poa' (its parameters: reading, n_accounts, initial, min_validators)"),
    (["check", "halts", "--set", "committee=x"], "must be an integer"),
    (["check", "halts", "--set", "stall_rounds=0"], "stall_rounds"),
    (["check", "--json", "/nonexistent/dir/r.json"], "/nonexistent/dir"),
    (["check", "inclusion", "--mutant", "av_timeout_off_by_one"], "belongs to machine"),
    (["trace", "show", "/nonexistent.itf.json"], "cannot read"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("paraspec: error:")
    assert needle in err
    assert "Traceback" not in err


def test_malformed_itf_is_one_line(capsys, tmp_path):
    p = tmp_path / "x.itf.json"
    p.write_text('{"vars": ["a"], "states": [{"a": {"#bigint": 5}}]}')
    code, out, err = run(capsys, "trace", "show", str(p))
    assert code == 2 and err.count("\n") == 1 and "$.states[0].a" in err and str(p) in err


def test_mutant_exits_1_and_writes_replayable_trace(capsys, tmp_path):
    code, out, err = run(capsys, "check", "--mutant", "av_no_signature_check", "--trace-dir", str(tmp_path),
                         "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml"))
    assert code == 1
    files = sorted(tmp_path.glob("*.counterexample.itf.json"))
    assert [f.name for f in files] == [
        "availability.av_no_signature_check.forged_bitfield_rejected.counterexample.itf.json"]
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["ok"] is False
    props = {p["name"]: p for p in report["results"][0]["properties"]}
    assert props["forged_bitfield_rejected"]["verdict"] == "violated"
    assert props["forged_bitfield_rejected"]["trace_length"] == 1
    suite = ET.parse(tmp_path / "r.xml").getroot()
    assert suite.find(".//failure") is not None
    code, out, err = run(capsys, "trace", "show", str(files[0]))
    assert code == 0 and "SignBitfield" in out and "State 0" in out
    code, out, err = run(capsys, "trace", "replay", str(files[0]))
    assert code == 0 and "every state matches" in out


def test_set_reaches_a_machine_with_parameters_of_its_own(capsys, tmp_path):
    """`--set` changes HaltConfig's committee: the model checks a different space, and
    the report, the trace's #meta and its replay all use the override."""
    code, out, _ = run(capsys, "check", "halts", "--json", str(tmp_path / "a.json"), "-q")
    assert code == 0
    code, out, _ = run(capsys, "check", "halts", "--set", "committee=7", "--json", str(tmp_path / "b.json"), "-q")
    assert code == 0
    a, b = (json.loads((tmp_path / f).read_text())["results"][0] for f in ("a.json", "b.json"))
    assert a["states"] != b["states"]


def test_trace_records_and_replays_set_overrides(capsys, tmp_path):
    code, _, _ = run(capsys, "check", "inclusion", "--set", "max_candidates=1", "--mutant", "inc_no_signature_check",
                     "--trace-dir", str(tmp_path), "-q")
    assert code == 1
    f = next(tmp_path.glob("*.counterexample.itf.json"))
    meta = json.loads(f.read_text())["#meta"]
    assert meta["overrides"] == {"max_candidates": 1} and meta["parameters"]["max_candidates"] == 1
    code, out, _ = run(capsys, "trace", "replay", str(f))
    assert code == 0 and "every state matches" in out
    # a malformed overrides field is one line naming the field
    obj = json.loads(f.read_text())
    obj["#meta"]["overrides"] = ["max_candidates"]
    f.write_text(json.dumps(obj))
    code, out, err = run(capsys, "trace", "replay", str(f))
    assert code == 2 and "#meta.overrides" in err and err.count("\n") == 1


def test_trace_replay_detects_a_tampered_trace(capsys, tmp_path):
    run(capsys, "check", "--mutant", "av_timeout_off_by_one", "--trace-dir", str(tmp_path), "-q")
    f = next(tmp_path.glob("*.counterexample.itf.json"))
    obj = json.loads(f.read_text())
    obj["states"][-1]["signed"] = {"#bigint": "3"}
    f.write_text(json.dumps(obj))
    code, out, err = run(capsys, "trace", "replay", str(f))
    assert code == 1 and "differs" in out


def test_bounded_check_passes_and_reports(capsys, tmp_path):
    code, out, err = run(capsys, "check", "availability", "--max-depth", "4", "--json", str(tmp_path / "r.json"))
    report = json.loads((tmp_path / "r.json").read_text())
    r = report["results"][0]
    assert r["complete"] is False and r["stopped"] == "max_depth" and r["depth"] == 4
    assert "availability" in out and "holds (bounded: max_depth)" in out
    # bounded at depth 4 some witnesses are out of reach, so the run is not a pass
    assert code == 1
    assert {p["name"] for p in r["properties"] if p["verdict"] == "unwitnessed"} == {
        "both_paras_enacted_twice", "some_candidate_available"}  # shortest witnesses: 10 and 5 steps


def test_simulation_finds_mutant(capsys):
    code, out, err = run(capsys, "check", "availability", "--mutant", "av_duplicates_allowed", "--simulate",
                         "--seed", "3", "--steps", "3000", "-q")
    assert code == 1


def test_list_json(capsys):
    code, out, err = run(capsys, "list", "--json")
    assert code == 0
    data = json.loads(out)
    names = {m["name"] for m in data["machines"]}
    assert {"availability", "inclusion"} <= names
    assert any(r["id"] == "AV-6" for r in data["rules"])
    assert {"tiny", "polkadot"} <= set(data["presets"]["availability"])
    assert set(data["presets"]["halts"]) == {"tiny", "small", "seed"}
    assert data["presets"]["disputes"]["tiny"]["n_validators"] == 4
    assert any(m["name"] == "av_threshold_ge" and m["preset"] == "trio" for m in data["mutants"])


def test_console_script_entry_point():
    out = subprocess.run([sys.executable, "-m", "paraspec", "check", "--preset", "nope"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.strip().startswith("paraspec: error:")

"""The reference interpreter as a tool (issue 14): scenarios for every machine, the run as
ITF and JSON, expectations with diffs, queries and selectors, and the repl."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paraspec.checker.cli import main
from paraspec.checker.interp.engine import run_plan, to_itf
from paraspec.checker.interp.plan import is_machine_scenario, load_plan
from paraspec.checker.interp.repl import Session
from paraspec.checker.interp.schema import check_shipped
from paraspec.checker.registry import build, machine_names
from paraspec.checker.scenario import SCENARIO_DIR

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "interp"


def _bundled() -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for p in sorted(SCENARIO_DIR.glob("*.json")):
        doc = json.loads(p.read_text())
        if is_machine_scenario(doc):
            out.setdefault(doc["machine"], []).append(p)
    return out


def _small(paths: list[Path]) -> Path:
    return min(paths, key=lambda p: p.stat().st_size)


def test_every_machine_has_a_bundled_scenario_with_assertions_that_passes():
    bundled = _bundled()
    assert sorted(bundled) == machine_names()
    for name, paths in bundled.items():
        p = _small(paths)
        plan = load_plan(str(p), json.loads(p.read_text()))
        checks = sum(len(s.expect) + (s.rejected_by is not None) for s in plan.steps) + len(plan.expect)
        assert checks > 0, p
        res = run_plan(plan)
        assert res.ok, (p, res.records[-1].failures if res.records else res.crash)


def test_machines_with_events_have_scenarios_asserting_on_them():
    # the contract's ``answer`` is a machine's events; where it gives any, a bundled scenario checks them
    asserted = set()
    for name, paths in _bundled().items():
        for p in paths:
            if '"@events"' in p.read_text():
                asserted.add(name)
    assert {"halts", "paras", "scheduler", "upgrades"} <= asserted


@pytest.mark.parametrize("name", machine_names())
def test_run_trace_replays_with_every_state_equal(name, tmp_path, capsys):
    p = _small(_bundled()[name])
    out = tmp_path / f"{name}.itf.json"
    assert main(["run", str(p), "--trace", str(out), "-q"]) == 0
    itf = json.loads(out.read_text())
    res = run_plan(load_plan(str(p), json.loads(p.read_text())))
    assert len(itf["states"]) == 1 + sum(r.applied for r in res.records)
    assert itf["#meta"]["scenario"]["file"] == str(p)
    assert main(["trace", "replay", str(out)]) == 0
    assert "every state matches" in " ".join(capsys.readouterr().out.split())


def test_replay_of_a_tampered_run_trace_fails(tmp_path, capsys):
    p = SCENARIO_DIR / "availability_tiny.json"
    doc = to_itf(run_plan(load_plan(str(p), json.loads(p.read_text()))))
    doc["states"][2]["signed"] = {"#bigint": "3"}
    out = tmp_path / "t.itf.json"
    out.write_text(json.dumps(doc))
    assert main(["trace", "replay", str(out)]) == 1


def _run(tmp_path, doc, *extra) -> tuple[int, str, str]:
    f = tmp_path / "s.json"
    f.write_text(json.dumps(doc))
    r = subprocess.run([sys.executable, "-m", "paraspec", "run", str(f), *extra], capture_output=True, text=True,
                       timeout=300, cwd=ROOT)
    return r.returncode, r.stdout, r.stderr


BAD = [
    ({"machine": "halts", "steps": [{"action": "SubmitTx", "args": {"tx": "x"}}]}, "$.steps[0].args.tx", "anyOf"),
    ({"machine": "halts", "steps": [{"action": "Nope"}]}, "$.steps[0].action", "enum"),
    ({"machine": "halts", "steps": [{"action": "Round", "args": {"tx": 1}}]}, "$.steps[0].args", "additionalProperties"),
    ({"machine": "availability", "preset": "huge", "steps": []}, "$.preset", "enum"),
    ({"machine": "availability", "steps": [{"action": "EndBlock", "repeat": 0}]}, "$.steps[0].repeat", "minimum"),
    ({"machine": "runtime", "steps": [{"query": "validation_code"}]}, "$.steps[0]", "'args' is a required"),
    ({"machine": "runtime", "steps": [{"query": "validators", "action": "RelayBlock"}]}, "$.steps[0]", "oneOf"),
    ({"machine": "availability", "steps": [], "bogus": 1}, "$", "additionalProperties"),
    ({"machine": "nope", "steps": []}, "$.machine", "unknown machine"),
    ({"machine": "disputes", "init": 9, "steps": []}, "$.init", "initial state"),
    ({"machine": "halts", "steps": [], "expect": {"colour": 1}}, "$.expect.colour", "no such state field"),
    ({"machine": "runtime", "steps": [{"action": "RelayBlock", "args": {"inherents": [{"backed": [
        {"para": 0, "head": 1, "backers": {"select": "group_of_core"}}]}]}}]}, "$.steps[0]", "needs 'core'"),
]


@pytest.mark.parametrize("doc,where,rule", BAD)
def test_bad_scenario_is_one_line_naming_file_path_and_rule(tmp_path, capsys, doc, where, rule):
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(doc))
    assert main(["run", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"{f}: {where}" in err and rule in err


def test_failing_expectation_prints_a_compact_diff_and_exits_1(tmp_path):
    doc = {"machine": "halts", "config": "seed",
           "steps": [{"action": "SubmitTx", "args": {"tx": 1}},
                     {"action": "Round", "expect": {"height": 7, "commits.0": [1]}},
                     {"action": "Round", "rejected_by": "HLT-7"}],
           "expect": {"mode": "HARD_HALT"}}
    rc, out, err = _run(tmp_path, doc)
    assert rc == 1, err
    assert "step 1 (Round): height: expected 7, actual 1" in out
    assert "commits.0" not in out  # the path that matches is not reported
    assert "step 2 (Round): expected rejected by HLT-7, actual accepted" in out
    assert 'final: mode: expected "HARD_HALT", actual "RUNNING"' in out


def test_json_gives_every_steps_state_and_events(tmp_path):
    doc = json.loads((SCENARIO_DIR / "halts_A.json").read_text())
    rc, out, err = _run(tmp_path, doc, "--json", "--compact")
    assert rc == 0, err
    got = json.loads(out)
    assert got["machine"] == "halts" and got["parameters"]["preset"] == "seed" and got["ok"]
    assert len(got["steps"]) == len(doc["steps"])
    assert got["steps"][5]["state"]["height"] == 3
    assert got["steps"][7]["outcome"] == "rejected" and got["steps"][7]["rule"] == "HLT-7"
    assert isinstance(got["steps"][0]["events"], dict)


def test_queries_and_selectors_name_groups_without_a_first_run(tmp_path):
    doc = json.loads((SCENARIO_DIR / "runtime_tiny.json").read_text())
    res = run_plan(load_plan("runtime_tiny.json", doc))
    assert res.ok
    backed = res.records[5].action.inherents[0].backed[0]
    assert backed.backers == (0, 1)  # group_of_core 0, k=2: the group the scheduler assigns
    # a wrong expectation on a query's answer fails
    doc["steps"][0]["expect"] = {"@result": [0, 1, 2]}
    res = run_plan(load_plan("x.json", doc))
    assert not res.ok and res.records[0].failures[0]["path"] == "@result"
    # an unknown selector parameter is bad input
    doc = json.loads((SCENARIO_DIR / "runtime_tiny.json").read_text())
    doc["steps"][5]["args"]["inherents"][0]["backed"][0]["backers"] = {"select": "group_of_core", "para": 0}
    rc, out, err = _run(tmp_path, doc)
    assert rc == 2 and "selector 'group_of_core'" in err and len(err.strip().splitlines()) == 1


def test_shipped_scenario_schemas_are_current():
    assert check_shipped() == []


def test_vectors_schemas_refreshes_and_checks_the_scenario_schemas(tmp_path, monkeypatch, capsys):
    """One command for every schema of checker/schemas/: `paraspec vectors schemas` writes the
    scenario schemas too, and `--check` reports a stale one (it used to leave them to
    `python -m paraspec.checker.interp.schema`). The vector schemas are stubbed out here (their own
    test is in test_vectors.py)."""
    from paraspec.checker.interp import schema as scenario
    from paraspec.checker.vectors import schemas as vschemas

    monkeypatch.setattr(vschemas, "all_schemas", lambda machines=None: {})
    monkeypatch.setattr(vschemas, "check_shipped", lambda machines=None: [])
    out = tmp_path / "out"
    assert main(["vectors", "schemas", "--out", str(out)]) == 0
    name = scenario.schema_file("runtime").name
    assert (out / name).read_text() == (scenario.SCHEMA_DIR / name).read_text()
    stale = tmp_path / "stale"
    stale.mkdir()
    for f in scenario.SCHEMA_DIR.glob("*.scenario.schema.json"):
        (stale / f.name).write_text(f.read_text())
    (stale / name).write_text("{}\n")
    monkeypatch.setattr(scenario, "SCHEMA_DIR", stale)
    capsys.readouterr()
    assert main(["vectors", "schemas", "--check"]) == 1
    assert f"{name}: out of date" in capsys.readouterr().out


def test_repl_scripted_session_saves_the_fixture_scenario(tmp_path):
    out = tmp_path / "session.json"
    script = (DATA / "repl_session.txt").read_text().replace("OUT", str(out))
    r = subprocess.run([sys.executable, "-m", "paraspec", "repl", "availability", "--preset", "tiny"], input=script,
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "rejected by AV-4" in r.stdout and "undid SignBitfield" in r.stdout
    assert "error: query validators: machine 'availability' has none" in r.stdout
    assert "unknown command 'frobnicate'" in r.stdout
    saved = json.loads(out.read_text())
    saved["name"] = "session"
    assert saved == json.loads((DATA / "repl_expected.json").read_text())
    assert main(["run", str(out), "-q"]) == 0


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["availability", "avail_core", "scheduler", "backing", "approval"]),
       picks=st.lists(st.integers(0, 10_000), min_size=1, max_size=8))
def test_a_saved_repl_session_reruns_and_its_trace_replays(tmp_path, name, picks):
    s = Session(build(name, "tiny"))
    for k in picks:
        acts = list(s.machine.actions(s.state))
        if not acts:
            break
        s.take(acts[k % len(acts)])
    doc = s.scenario("walk")
    res = run_plan(load_plan("walk.json", json.loads(json.dumps(doc))))
    assert res.ok and res.states[-1] == s.state
    f = tmp_path / f"{name}.itf.json"
    f.write_text(json.dumps(to_itf(res)))
    assert main(["trace", "replay", str(f)]) == 0


def test_runtime_api_queries_as_adapter_requests():
    import jsonschema

    from paraspec.checker.interp.schema import SCHEMA_DIR as SCHEMAS
    from paraspec.checker.vectors.cases import config_json, encode_state
    from paraspec.checker.vectors.serve import Reference

    doc = json.loads((SCENARIO_DIR / "runtime_tiny.json").read_text())
    res = run_plan(load_plan("runtime_tiny.json", doc))
    m = res.plan.machine
    req = {"id": "q", "query": "runtime/availability_cores", "config": config_json(m),
           "state": encode_state(m, res.states[1]), "args": {}}
    jsonschema.validate(req, json.loads((SCHEMAS / "request.schema.json").read_text()))
    resp = Reference().answer(req)
    jsonschema.validate(resp, json.loads((SCHEMAS / "response.schema.json").read_text()))
    # the same answer as the scenario's query step after the same block
    assert resp["output"]["ok"] == res.records[6].result
    assert resp["output"]["ok"][0]["state"] == "occupied"
    bad = Reference().answer({**req, "args": {"para": 0}})
    assert "request.args.para" in bad["error"]


def test_runtime_block_scenario_states_after_every_block(capsys):
    from paraspec.checker.runtime_scenario import SCENARIO_DIR as RT

    p = SCENARIO_DIR / "runtime" / "tiny_inclusion.json"
    assert RT == "scenarios/runtime"
    assert main(["run", str(p), "--states", "--compact"]) == 0
    got = json.loads(capsys.readouterr().out)
    nows = [b["state"]["now"] for b in got["blocks"]]
    assert len(nows) == len(got["blocks"]) and nows[0] == 1
    # an invalid block leaves the state as it was: the same block number
    for b, now in zip(got["blocks"], nows):
        assert (b["outcome"] == "ok") == (now == b["number"])


def test_expected_values_match_exactly_or_by_contains():
    from paraspec.checker.interp.paths import diff

    root = {"events": ["a", "b"], "flag": True, "n": 1, "cores": [{"para": 3}]}
    assert diff(root, {"events": {"$contains": ["b"]}, "flag": True, "cores.0.para": 3}) == []
    assert [d["path"] for d in diff(root, {"events": {"$contains": ["c"]}, "n": True, "flag": 1,
                                            "cores.1.para": 3})] == ["events", "n", "flag", "cores.1.para"]
    # the runtime's block events are asserted in a bundled scenario
    assert '"$contains": ["enacted:0"]' in (SCENARIO_DIR / "runtime_tiny.json").read_text()


def test_set_and_init_travel_into_the_trace(tmp_path, capsys):
    s = Session(build("backing", "tiny", None, {"backing_threshold": "two_thirds"}), init=1)
    s.show_actions()
    s.take(s.listed[0])
    doc = s.scenario("bt")
    assert doc["init"] == 1 and doc["set"] == {"backing_threshold": "two_thirds"}
    f, out = tmp_path / "bt.json", tmp_path / "bt.itf.json"
    f.write_text(json.dumps(doc))
    assert main(["run", str(f), "--trace", str(out), "-q"]) == 0
    itf = json.loads(out.read_text())
    assert itf["#meta"]["overrides"] == {"backing_threshold": "two_thirds"}
    assert main(["trace", "replay", str(out)]) == 0
    doc["init"] = 0  # another initial state: the recorded expectations no longer hold, or the step is rejected
    f.write_text(json.dumps(doc))
    res = run_plan(load_plan(str(f), doc))
    assert res.plan.initial != s.history[0][0]

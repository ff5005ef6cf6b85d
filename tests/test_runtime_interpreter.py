"""The reference interpreter: scenarios, the ``run`` subcommand, and random block
sequences (Hypothesis) through ``apply_block`` checked with the runtime's properties."""

from __future__ import annotations

import json
from importlib import resources

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paraspec.checker.commands import run as run_cmd
from paraspec.checker.registry import build, load_all, properties_of
from paraspec.checker.runtime_scenario import ScenarioError, run_scenario, scenario_files, validate_scenario
from paraspec.model.availability import SignBitfield
from paraspec.model.core import Rejected
from paraspec.model.runtime import InclusionInherent, RelayBlock, SessionChange
from paraspec.model.runtime.configuration import SetConfiguration
from paraspec.model.runtime.inclusion import BackedCandidate
from paraspec.model.runtime.paras import DeregisterPara, RegisterPara
from paraspec.model.runtime.scheduler import AddParathreadClaim
from paraspec.properties.core import Kind

load_all()

SCENARIOS = [p.name for p in scenario_files()]


def load(name: str) -> dict:
    return json.loads(resources.files("paraspec.checker").joinpath("scenarios", "runtime", name).read_text())


# -- shipped scenarios ------------------------------------------------------------------------------


def test_scenarios_shipped():
    assert {"tiny_inclusion.json", "tiny_upgrade.json", "tiny_parathread.json", "polkadot_block.json"} <= set(SCENARIOS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_meets_its_expectations(name):
    out = run_scenario(load(name))
    assert out["blocks"]
    assert all(b["as_expected"] for b in out["blocks"] if "expected" in b), [
        (b["block"], b.get("rule"), b["expected"]) for b in out["blocks"] if not b.get("as_expected", True)]


def test_polkadot_scenario_enacts_all_cores():
    out = run_scenario(load("polkadot_block.json"))
    blocks = out["blocks"]
    assert sum(1 for e in blocks[1]["events"] if e.startswith("enacted:")) == 100
    assert not any(e.startswith("enacted:") for e in blocks[2]["events"])  # exactly 2/3: not available
    assert sum(1 for e in blocks[3]["events"] if e.startswith("enacted:")) == 100
    fs = out["final_state"]
    assert len(fs["scheduler"]["groups"]) == 100 and all(len(g) == 10 for g in fs["scheduler"]["groups"])
    assert fs["inclusion"]["pending"] == {}  # cleared by the session change


def test_upgrade_scenario_prunes_old_code():
    fs = run_scenario(load("tiny_upgrade.json"))["final_state"]
    assert fs["paras"]["code"]["0"] == 500
    assert fs["paras"]["past_code"] == {}
    assert fs["paras"]["past_code_meta"]["0"]["last_pruned"] == 2


def test_invalid_block_leaves_state_and_next_block_builds_on_it():
    doc = {"preset": "tiny", "blocks": [
        {"backed_candidates": [{"para": 0, "head": 1, "backers": "group"}]},
        {"bitfields": [{"validator": 0, "bits": "10", "signer": 3}], "expect": "AV-4"},
        {"bitfields": [{"validators": "all", "bits": "10"}], "expect": "ok"},
    ]}
    out = run_scenario(doc)
    assert [b["number"] for b in out["blocks"]] == [1, 2, 2]
    assert out["final_state"]["now"] == 2 and out["final_state"]["paras"]["heads"]["0"] == 1


def test_expectation_mismatch_is_reported():
    doc = {"blocks": [{"inherents": [], "expect": "ok"}]}
    b = run_scenario(doc)["blocks"][0]
    assert b["outcome"] == "invalid" and b["rule"] == "INC-29" and b["as_expected"] is False


# -- the CLI ---------------------------------------------------------------------------------------------


def cli(tmp_path, doc, capsys, *flags):
    path = tmp_path / "s.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    code = run_cmd.main([str(path), *flags])
    out, err = capsys.readouterr()
    return code, out, err, str(path)


def test_cli_prints_outcomes_and_state(tmp_path, capsys):
    code, out, err, _ = cli(tmp_path, load("tiny_parathread.json"), capsys)
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert [b["outcome"] for b in doc["blocks"]] == ["ok"] * 6
    assert doc["final_state"]["paras"]["heads"]["1"] == 1


def test_cli_exit_1_on_unmet_expectation(tmp_path, capsys):
    code, out, err, _ = cli(tmp_path, {"blocks": [{"inherents": [], "expect": "ok"}]}, capsys, "--no-state")
    assert code == 1 and "final_state" not in json.loads(out)


def test_cli_runs_every_bundled_scenario_and_playbook(capsys):
    """With no file, every bundled runtime scenario and machine playbook runs, one line each."""
    assert run_cmd.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    summaries = [ln for ln in lines if not ln.startswith(" ")]
    for name in SCENARIOS:
        assert any(ln.startswith(name[:-5] + ": ok") for ln in summaries), name
    assert all(": ok (" in ln for ln in summaries)


def test_cli_reports_failed_block_in_summary(tmp_path, capsys):
    p = tmp_path / "a.json"
    p.write_text(json.dumps({"blocks": [{"inherents": [], "expect": "ok"}]}))
    q = tmp_path / "b.json"
    q.write_text(json.dumps(load("tiny_parathread.json")))
    assert run_cmd.main([str(p), str(q)]) == 1
    out = capsys.readouterr().out
    assert "a: FAILED (1 blocks)" in out and "expected ok, got INC-29" in out and "b: ok (6 blocks)" in out


def test_cli_runs_a_machine_playbook_too(capsys):
    from paraspec.checker import scenario as playbooks

    files = playbooks.scenario_files()
    if not files:
        pytest.skip("no machine playbooks bundled")
    assert run_cmd.main([str(files[0])]) == 0
    assert ": ok (" in capsys.readouterr().out


@pytest.mark.parametrize("doc,field", [
    ("{\"blocks\": [", "not JSON"),
    ({"blocks": [{"bitfields": [{"validator": 0, "bits": "12"}]}]}, "blocks[0].bitfields[0].bits"),
    ({"blocks": [{"bogus": 1}]}, "blocks[0]"),
    ({"blocks": [], "preset": "huge"}, "preset: unknown preset 'huge'"),
    ({"blocks": [], "genesis": {"config": {"group_rotation_frequency": 0}}}, "genesis.config.group_rotation_frequency"),
    ({"blocks": [], "genesis": {"config": {"no_such_field": 1}}}, "genesis.config.no_such_field"),
    ({"blocks": [{"calls": [{"call": "launch"}]}]}, "blocks[0].calls[0]"),
    ({"blocks": [{"session_change": {}}]}, "blocks[0].session_change"),
    ({"blocks": [], "genesis": {"paras": [{"id": 1}, {"id": 1}]}}, "genesis: a para id is registered twice"),
])
def test_cli_bad_input_is_one_line(tmp_path, capsys, doc, field):
    code, out, err, path = cli(tmp_path, doc, capsys)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith(f"paraspec: error: {path}") and field in lines[0], lines[0]


def test_missing_file(capsys):
    assert run_cmd.main(["/nonexistent/scenario.json"]) == 2
    assert capsys.readouterr().err.strip() == "paraspec: error: /nonexistent/scenario.json: no such file"


def test_validate_scenario_rejects_inherents_with_bitfields():
    with pytest.raises(ScenarioError) as e:
        validate_scenario({"blocks": [{"inherents": [{}], "bitfields": []}]})
    assert e.value.field.startswith("blocks[0]")


def test_cli_register_adds_run_subcommand():
    import argparse

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    run_cmd.register(sub)
    args = parser.parse_args(["run", "x.json", "--timing"])
    assert args.func is run_cmd.run and args.files == ["x.json"] and args.timing


# -- random block sequences (Hypothesis) --------------------------------------------------------------------

PROPS = properties_of("runtime")
INVARIANTS = [p for p in PROPS if p.kind == Kind.ALWAYS]
TRANSITIONS = [p for p in PROPS if p.kind == Kind.TRANSITION]


def check_step(m, s, a, t):
    """Every runtime property on one transition (and on the new state)."""
    for p in TRANSITIONS:
        if not p.on or isinstance(a, p.on):
            assert p.predicate(m, s, a, t), (p.name, a)
    if not isinstance(t, Rejected):
        for p in INVARIANTS:
            assert p.predicate(m, t), (p.name, a)


def explorer(max_blocks=14, max_sessions=3, max_upgrades=3):
    m = build("runtime", "tiny")
    m.bounds = attrs.evolve(m.bounds, max_blocks=max_blocks, max_sessions=max_sessions, max_upgrades=max_upgrades)
    return m


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=8, max_size=14))
def test_random_walks_keep_every_property(picks):
    """Deeper than the exhaustive bounds: 14 blocks, 3 session changes, 3 upgrades."""
    m = explorer()
    s = next(iter(m.init()))
    for k in picks:
        acts = list(m.actions(s))
        if not acts:
            break
        a = acts[k % len(acts)]
        try:
            t = m.step(s, a)
        except Rejected as r:
            t = r
        check_step(m, s, a, t)
        if not isinstance(t, Rejected):
            s = t


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=4, max_size=10))
def test_interpreter_is_deterministic_and_pure(picks):
    """Replaying a block sequence gives the same states; a rejected block raises the
    same rule each time and changes nothing."""
    m = explorer(max_blocks=10)
    s = s0 = next(iter(m.init()))
    blocks = []
    for k in picks:
        acts = list(m.actions(s))
        if not acts:
            break
        a = acts[k % len(acts)]
        blocks.append(a)
        try:
            s = m.apply_block(s, a)
        except Rejected:
            pass
    replay = s0
    for a in blocks:
        before = replay
        try:
            replay = m.apply_block(replay, a)
        except Rejected as r1:
            with pytest.raises(Rejected) as r2:
                m.apply_block(before, a)
            assert r2.value.rule_id == r1.rule_id and replay is before
    assert replay == s


# raw blocks: arbitrary bitfields, backers and calls, mostly invalid, never a model error

validator_idx = st.integers(min_value=-1, max_value=5)
bitfield = st.builds(SignBitfield, validator_idx, st.integers(0, 7), st.integers(1, 3), validator_idx)
candidate = st.builds(BackedCandidate, st.integers(0, 3), st.integers(0, 3),
                      st.lists(st.integers(0, 4), max_size=3).map(tuple), st.none(),
                      st.one_of(st.none(), st.integers(200, 205)))
call = st.one_of(
    st.builds(SetConfiguration, st.sampled_from(["parathread_cores", "group_rotation_frequency",
                                                 "chain_availability_period", "nope"]), st.integers(0, 3),
              st.sampled_from(["root", "signed"])),
    st.builds(RegisterPara, st.integers(0, 4), st.booleans()),
    st.builds(DeregisterPara, st.integers(0, 4)),
    st.builds(AddParathreadClaim, st.integers(0, 4), st.integers(0, 2)),
)
session = st.builds(SessionChange, st.integers(1, 5).map(lambda n: tuple(range(n))), st.just(()), st.integers(0, 9))
raw_block = st.builds(
    RelayBlock,
    st.one_of(st.none(), st.none(), session),
    st.just(False),
    st.lists(st.builds(InclusionInherent, st.lists(bitfield, max_size=3).map(tuple),
                       st.lists(candidate, max_size=2).map(tuple)), min_size=0, max_size=2).map(tuple),
    st.lists(call, max_size=2).map(tuple),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(raw_block, min_size=3, max_size=10))
def test_arbitrary_blocks_are_rejected_by_a_rule_or_keep_every_property(blocks):
    m = explorer()
    s = next(iter(m.init()))
    for a in blocks:
        try:
            t = m.apply_block(s, a)
        except Rejected as r:
            assert r.rule_id.split("-")[0] in {"AV", "INC", "INI", "SCH", "CFG", "PAR", "RT"}
            t = r
        check_step(m, s, a, t)
        if not isinstance(t, Rejected):
            s = t

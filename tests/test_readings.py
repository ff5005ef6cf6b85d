"""The two readings of the host (decision CFG-D5): ``--reading seed|sdk``, its switches, its
records, and scenario tests of the behaviours polkadot-sdk settles differently.

The bitfield scenarios restate the facts of polkadot-sdk's unit test ``sanitizers::bitfields``
(``runtime/parachains/src/paras_inherent/tests.rs``; INC-31, decision INC-D27): with four
validators and two cores, well-formed bitfields are all kept; a bitfield of the wrong size, one
of a validator outside the set, one out of ascending order and one with a bad signature are each
dropped and the others kept. ``sanitize_bitfields`` returns the kept ones; the model's
observable is the block's validity and the availability votes they add.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from paraspec.checker import decisions
from paraspec.checker.registry import UsageError, build, load_all, machine_names
from paraspec.checker.runtime_scenario import run_scenario
from paraspec.checker.spec import load_rules
from paraspec.checker.vectors.serve import Reference
from paraspec.model.availability import SignBitfield
from paraspec.model.readings import READINGS, SWITCHES

load_all()
ROOT = Path(__file__).resolve().parent.parent


# -- the parameter --------------------------------------------------------------------------------

def test_every_machine_honours_the_reading_and_records_it():
    for name in machine_names():
        m = build(name, overrides={"reading": "sdk"})
        assert m.params.reading == "sdk" and m.parameter_values()["reading"] == "sdk", name
        assert build(name).parameter_values()["reading"] == "seed", name


def test_reading_sets_the_per_rule_switches():
    for name in ("inclusion", "runtime", "backing", "escalation", "disputes", "availability"):
        p = build(name, overrides={"reading": "sdk"}).params
        for switch, values in SWITCHES.items():
            if hasattr(p, switch):
                assert getattr(p, switch) == values["sdk"], (name, switch)


def test_a_switch_contradicting_sdk_is_refused_but_may_mix_under_seed():
    with pytest.raises(UsageError) as e:
        build("backing", overrides={"reading": "sdk", "backing_threshold": "majority"})
    assert "contradicts reading=sdk" in str(e.value) and "\n" not in str(e.value)
    mixed = build("backing", overrides={"reading": "seed", "backing_threshold": "sdk"})
    assert mixed.parameter_values()["reading"] == "seed" and mixed.params.backing_threshold == "sdk"
    with pytest.raises(UsageError):
        build("backing", overrides={"reading": "deployed"})


def test_cli_reading_is_one_line_exit_2_and_recorded_in_the_report(tmp_path):
    cmd = [sys.executable, "-m", "paraspec.checker.cli"]
    bad = subprocess.run(cmd + ["check", "escalation", "--reading", "sdk", "--set", "dispute_rule=seed"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "contradicts reading=sdk" in bad.stderr and bad.stderr.count("\n") == 1
    out = tmp_path / "r.json"
    ok = subprocess.run(cmd + ["check", "configuration", "--reading", "sdk", "-q", "--json", str(out)],
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert all(r["parameters"]["reading"] == "sdk" for r in json.loads(out.read_text())["results"])


def test_adapter_with_a_reading_answers_other_cases_unsupported():
    ref = Reference(reading="seed")
    req = {"id": 1, "handler": "backing/x", "config": {"preset": "tiny", "reading": "sdk"},
           "pre_state": {}, "input": {}}
    assert "unsupported" in ref.answer(req)


# -- bitfield sanitising (INC-31), from polkadot-sdk's sanitizers::bitfields ------------------------

BACK_BOTH = {"backed_candidates": [{"para": 0, "head": 1, "backers": "group"},
                                   {"para": 1, "head": 1, "backers": "group"}], "expect": "ok"}


def _votes(bitfields: list[dict], reading: str) -> tuple[str, list]:
    """The second block's outcome (ok or the rule) and para 0's availability votes after it."""
    out = run_scenario({"preset": "tiny", "blocks": [BACK_BOTH, {"bitfields": bitfields}]}, reading=reading)
    b = out["blocks"][1]
    pending = out["final_state"]["inclusion"]["pending"]
    return (b["outcome"] if b["outcome"] == "ok" else b["rule"]), (pending["0"]["votes"] if "0" in pending else None)


def test_well_formed_bitfields_are_all_kept():
    bfs = [{"validator": v, "bits": "10"} for v in (0, 1)]
    assert _votes(bfs, "sdk") == ("ok", [0, 1]) == _votes(bfs, "seed")


@pytest.mark.parametrize("case, bitfields, rule, kept", [
    ("wrong size", [{"validator": 0, "bits": "100"}, {"validator": 1, "bits": "10"}], "AV-2", [1]),
    ("validator outside the set", [{"validator": 1, "bits": "10"}, {"validator": 4, "bits": "10"}], "AV-1", [1]),
    ("out of order", [{"validator": 2, "bits": "10"}, {"validator": 1, "bits": "10"},
                      {"validator": 0, "bits": "10"}], "AV-3", [2]),
    ("bad signature on the last", [{"validator": 0, "bits": "10"}, {"validator": 1, "bits": "10"},
                                   {"validator": 2, "bits": "10", "signer": 3}], "AV-4", [0, 1]),
    ("duplicate", [{"validator": 1, "bits": "10"}, {"validator": 1, "bits": "10"}], "AV-3", [1]),
])
def test_a_bad_bitfield_costs_the_bitfield_under_sdk_and_the_block_under_seed(case, bitfields, rule, kept):
    assert _votes(bitfields, "seed")[0] == rule
    assert _votes(bitfields, "sdk") == ("ok", kept)


def test_a_bit_on_a_free_core_is_ignored_alone_under_sdk():
    """polkadot-sdk ``update_pending_availability_and_get_freed_cores`` skips the bit of an
    unoccupied core; [IG §2.5.6] disregards the whole bitfield (AV-5, AV-D2)."""
    from paraspec.model.availability import AvailabilityState, ParaAvailability, Status

    for reading, want in (("seed", 0), ("sdk", 1)):
        m = build("availability", overrides={"reading": reading})
        # para 0 has a candidate to be determined, para 1 none; validator 0 signs a 1 for both
        s = AvailabilityState(paras=(ParaAvailability(Status.TO_BE_DETERMINED, noted=1), ParaAvailability()))
        t = m.step(s, SignBitfield(0, 0b11, m.config.n_parachains, 0))
        assert (t.paras[0].votes, t.paras[1].votes) == (want, 0), reading


# -- the decisions table ------------------------------------------------------------------------------

def test_decisions_table_is_complete_and_the_page_current():
    rules, table = load_rules(), decisions.load_table()
    assert decisions.problems(rules, table) == []
    assert (ROOT / "docs" / "decisions.md").read_text() == decisions.render(rules, table)


def test_a_decision_with_two_readings_needs_a_switch_or_a_reason():
    rules, table = load_rules(), decisions.load_table()
    broken = {**table, "CFG-D1": {k: v for k, v in table["CFG-D1"].items() if k not in ("switch", "unmodelled")}}
    assert any("CFG-D1" in p and "neither a switch" in p for p in decisions.problems(rules, broken))
    missing = {k: v for k, v in table.items() if k != "INC-D1"}
    assert any(p.startswith("INC-D1 ") for p in decisions.problems(rules, missing))


def test_readings_are_the_two_named():
    assert READINGS == ("seed", "sdk")

"""The ``approval`` machine (spec/approval.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paraspec.checker.registry import UsageError, build, load_all
from paraspec.model.approval import Check, Fault, Status, Tick, Verdict, compute_vrf
from paraspec.model.core import Rejected
from paraspec.model.thresholds import approval_checks_needed, is_reconstructible
from paraspec.properties.core import properties_for
from tests.walks import check_walk

load_all()

MACHINE = "approval"
SPEC = Path(__file__).resolve().parent.parent / "spec"
RULE = re.compile(r"^\s*- \*\*([A-Z]{2,4}-\d+)\*\*", re.M)


def test_rule_ids_map_to_properties():
    rules = set(RULE.findall((SPEC / "approval.md").read_text()))
    assert rules == {f"APR-{i}" for i in range(1, 10)}
    assert rules == {r for p in properties_for(MACHINE) for r in p.rules}


# -- the arithmetic and the VRF ----------------------------------------------------------------------------------


def test_vcheck_formula_and_reconstruction_threshold():
    assert approval_checks_needed(1, 0) == 3  # 1 parachain validator + 2
    assert approval_checks_needed(10, 3, c_f=2) == 18
    assert not is_reconstructible(2, 4) and is_reconstructible(3, 4)  # f = 1: more than 2 pieces
    assert not is_reconstructible(666, 1000) and is_reconstructible(667, 1000)


def test_vrf_is_a_deterministic_function_of_its_inputs():
    outs = {compute_vrf(r, v, b, h, 4) for r in (0, 1) for v in range(4) for b in (-1, 0, 1) for h in (0, 1)}
    assert outs <= set(range(4)) and len(outs) > 1
    assert compute_vrf(1, 2, 0, 1, 1000) == compute_vrf(1, 2, 0, 1, 1000)


def test_one_shot_assigns_only_available_parablocks():
    m = build(MACHINE, "tiny")
    for s in m.init():
        for v in range(4):
            assert m.get_one_shot(s, v) & ~s.available == 0
            assert m.get_one_shot(s, v).bit_count() == 1


def test_faulty_parablock_escalates_after_an_honest_check():
    m = build(MACHINE, "tiny")
    s = next(s for s in m.init() if s.faults[0] == Fault.BAD_RESULT and s.available == 0b11)
    checker = next(v for v in range(3) if m.get_one_shot(s, v) & 1)
    with pytest.raises(Rejected) as e:
        m.step(s, Check(checker, 0, 2))  # 2f pieces: not enough
    assert e.value.rule_id == "APR-7"
    s = m.step(s, Check(checker, 0, 3))
    assert (s.invalid[0] >> checker) & 1 and m.compute_verdict(s, 0) == Verdict.INVALID
    for _ in range(3):
        s = m.step(s, Tick())
    assert s.status[0] == Status.ESCALATED


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=30))
def test_random_walks_keep_the_properties(choices):
    m = build(MACHINE, "tiny")
    check_walk(m, properties_for(MACHINE), choices)


def test_parameters():
    """Parablock b is backed by honest validator b alone: the group size is not a
    parameter, and no more parablocks than honest validators."""
    m = build(MACHINE, "tiny", overrides={"n_validators": 7, "n_randomness": 3})
    assert (m.params.f, m.params.byzantine, m.params.randomness) == (2, 6, (0, 1, 2))
    assert {s.randomness for s in m.init()} == {0, 1, 2}
    with pytest.raises(UsageError, match="not a parameter of machine 'approval'"):
        build(MACHINE, "tiny", overrides={"group_size": 2})
    with pytest.raises(UsageError, match="4 validators have 3 honest, too few to back the 4 parablocks"):
        build(MACHINE, "tiny", overrides={"n_blocks": 4})
    with pytest.raises(UsageError, match="has no such preset"):
        build(MACHINE, "polkadot")

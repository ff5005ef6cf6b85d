"""The ``escalation`` machine (spec/escalation.md; SLS-1 .. SLS-3 and DSP-9 of spec/disputes.md)."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from paraspec.checker.registry import UsageError, build, load_all
from paraspec.model.config import ConfigError
from paraspec.model.escalation import EscalationConfig
from paraspec.model.thresholds import (
    OUTCOME_BOTH,
    OUTCOME_INVALID,
    OUTCOME_INVALID_NO_SLASH,
    OUTCOME_NONE,
    OUTCOME_VALID,
    dispute_outcome,
    supermajority_threshold,
)
from paraspec.properties.core import properties_for
from tests.walks import check_walk

load_all()

MACHINE = "escalation"
SPEC = Path(__file__).resolve().parent.parent / "spec"
RULE = re.compile(r"^\s*- \*\*([A-Z]{2,4}-\d+)\*\*", re.M)
DECISION = re.compile(r"^\s*- \*\*([A-Z]{2,4}-D\d+)\*\*", re.M)


def _spec_ids():
    ids = set()
    for doc in SPEC.glob("*.md"):
        ids |= set(RULE.findall(doc.read_text()))
    return ids


def test_rule_ids_map_to_properties():
    text = (SPEC / "escalation.md").read_text()
    rules = set(RULE.findall(text))
    assert rules == {f"ESC-{i}" for i in range(1, 11)}
    assert DECISION.findall(text)
    named = {r for mach in ("escalation", "disputes") for p in properties_for(mach) for r in p.rules}
    assert rules <= named
    known = _spec_ids()
    for p in properties_for(MACHINE):
        assert set(p.rules) <= known, (p.name, p.rules)


# -- the outcome arithmetic, for every n (Z3) ---------------------------------------------------------------


def _prove(claim):
    s = z3.Solver()
    s.add(z3.Not(claim))
    assert s.check() == z3.unsat, s.model()


def test_seed_outcomes_exclusive_and_exhaustive_for_every_n():
    """ESC-3 .. ESC-6: with distinct attesters split v / i (a double voter counts on both
    sides), no outcome at or below 2n/3 attesters, and one of the three above."""
    n, v, i, both = z3.Ints("n v i both")
    attesters = v + i + both
    o = dispute_outcome(v + both, i + both, attesters, n, "seed")
    domain = z3.And(n >= 1, v >= 0, i >= 0, both >= 0, attesters <= n)
    _prove(z3.Implies(z3.And(domain, 3 * attesters <= 2 * n), o == OUTCOME_NONE))
    _prove(z3.Implies(z3.And(domain, 3 * attesters > 2 * n),
                      z3.Or(o == OUTCOME_VALID, o == OUTCOME_INVALID, o == OUTCOME_INVALID_NO_SLASH)))
    # exclusivity of the cases as the seed states them
    vv, ii = 3 * (v + both) > n, 3 * (i + both) > n
    _prove(z3.Implies(z3.And(domain, o == OUTCOME_VALID), z3.And(vv, z3.Not(ii))))
    _prove(z3.Implies(z3.And(domain, o == OUTCOME_INVALID), z3.And(ii, z3.Not(vv))))
    _prove(z3.Implies(z3.And(domain, o == OUTCOME_INVALID_NO_SLASH), z3.And(vv, ii)))


def test_honest_side_wins_when_at_most_f_byzantine_for_every_n():
    """ESC-8: with at most f byzantine validators and every honest validator attesting the
    truth, both readings decide for the truth and the losing side is byzantine only."""
    n, b, bw, bb = z3.Ints("n b bw bb")  # byzantine: total, wrong side only, both sides
    honest = n - b
    domain = z3.And(n >= 1, b >= 0, 3 * b <= n - 1, bw >= 0, bb >= 0, bw + bb <= b)
    for rule in ("seed", "sdk"):
        o = dispute_outcome(honest + bb, bw + bb, honest + bw + bb, n, rule)
        _prove(z3.Implies(domain, o == OUTCOME_VALID))


def test_sdk_both_supermajorities_need_more_than_f_double_voters():
    n, both = z3.Ints("n both")
    assert dispute_outcome(4, 4, 4, 4, "sdk") == OUTCOME_BOTH
    assert dispute_outcome(2, 1, 3, 4, "sdk") == OUTCOME_NONE
    assert dispute_outcome(2, 1, 3, 4, "seed") == OUTCOME_VALID
    # both sides at n - f with n validators needs n - 2f double voters, more than f
    _prove(z3.Implies(z3.And(n >= 1, 2 * supermajority_threshold(n) - n <= both), 3 * both > n - 1))


# -- the interpreter ---------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=40),
       st.sampled_from(["seed", "sdk"]), st.sampled_from([4, 5, 7, 10]))
def test_random_walks_keep_the_properties(choices, rule, n):
    m = build(MACHINE, "tiny", overrides={"dispute_rule": rule, "n_validators": n})
    check_walk(m, properties_for(MACHINE), choices)


def test_dispute_rule_is_validated():
    with pytest.raises(ConfigError) as e:
        EscalationConfig(dispute_rule="majority").validate()
    assert "dispute_rule" in str(e.value) and "\n" not in str(e.value)
    assert build(MACHINE, "tiny", overrides={"dispute_rule": "sdk"}).params.dispute_rule == "sdk"


def test_presets_are_the_overrides_they_name():
    """``small`` and ``n7_f2`` are ``tiny`` with 5 and 7 validators; f and the byzantine
    validators explored (f + 1) follow n."""
    for preset, n, f in (("tiny", 4, 1), ("small", 5, 1), ("n7_f2", 7, 2)):
        p = build(MACHINE, preset).params
        assert p == attrs.evolve(build(MACHINE, "tiny", overrides={"n_validators": n}).params, name=preset)
        assert (p.n_validators, p.fault_bound, p.max_byzantine) == (n, f, f + 1)
    with pytest.raises(UsageError, match="has no such preset"):
        build(MACHINE, "polkadot")
    with pytest.raises(UsageError, match="not a parameter of machine 'escalation'"):
        build(MACHINE, "tiny", overrides={"fault_bound": 2})

"""The ``escalation`` machine (spec/escalation.md; SLS-1 .. SLS-3 and DSP-9 of spec/disputes.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.explicit import Checker
from checker.fingerprint import fingerprint
from checker.registry import build, load_all
from model.config import ConfigError, HostConfiguration, get_preset
from model.core import Rejected
from model.thresholds import (
    OUTCOME_BOTH,
    OUTCOME_INVALID,
    OUTCOME_INVALID_NO_SLASH,
    OUTCOME_NONE,
    OUTCOME_VALID,
    dispute_outcome,
    supermajority_threshold,
)
from properties.core import Kind, mutants_for, properties_for

load_all()

MACHINE = "escalation"
SPEC = Path(__file__).resolve().parent.parent / "spec"
RULE = re.compile(r"^\s*- \*\*([A-Z]{2,4}-\d+)\*\*", re.M)
DECISION = re.compile(r"^\s*- \*\*([A-Z]{2,4}-D\d+)\*\*", re.M)

#: (preset, overrides) -> (distinct states, transitions)
PINNED = {
    ("tiny", ()): (1142, 10686),
    ("tiny", (("dispute_rule", "sdk"),)): (1100, 10294),
    ("small", ()): (1334, 12498),
    ("tiny", (("n_validators", 7),)): (3694, 34658),
    ("tiny", (("dispute_rule", "sdk"), ("n_validators", 7))): (3634, 34098),
}


def _run(preset="tiny", overrides=(), props=None, mutant=None):
    m = build(MACHINE, preset, mutant=mutant, overrides=dict(overrides) or None)
    return Checker(m).with_properties(properties_for(MACHINE) if props is None else props).run()


@pytest.mark.parametrize("key", list(PINNED), ids=lambda k: f"{k[0]}-{dict(k[1])}")
def test_pinned_state_counts_and_verdicts(key):
    preset, overrides = key
    r = _run(preset, overrides)
    assert r.complete and r.error is None
    assert (r.states, r.transitions) == PINNED[key]
    for p in r.properties:
        expected = "witnessed" if p.property.kind == Kind.SOMETIMES else "holds"
        assert p.verdict == expected, (p.property.name, p.verdict)


@pytest.mark.parametrize("mutant", [m.name for m in mutants_for(MACHINE)])
def test_mutant_killed(mutant):
    mu = next(m for m in mutants_for(MACHINE) if m.name == mutant)
    props = [p for p in properties_for(MACHINE) if p.name in mu.kills]
    assert len(props) == len(mu.kills)
    r = _run(mu.preset or "tiny", mu.overrides, props, mutant)
    assert r.error is None
    for p in r.properties:
        assert p.verdict == "violated", (mutant, p.property.name, p.verdict)
        assert p.trace is not None and p.trace.states  # the shortest counterexample


def test_every_safety_property_is_killed_and_witnessed():
    killed = {k for m in mutants_for(MACHINE) for k in m.kills}
    for p in properties_for(MACHINE):
        if p.kind in (Kind.ALWAYS, Kind.TRANSITION):
            assert p.witness is not None, p.name
            assert p.name in killed, p.name


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


def _step(m, s, a):
    try:
        return m.step(s, a)
    except Rejected as r:
        return r


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=40),
       st.sampled_from(["seed", "sdk"]), st.sampled_from([4, 5, 7, 10]))
def test_random_walks_keep_the_properties(choices, rule, n):
    m = build(MACHINE, "tiny", overrides={"dispute_rule": rule, "n_validators": n})
    props = properties_for(MACHINE)
    always = [p for p in props if p.kind == Kind.ALWAYS]
    trans = [p for p in props if p.kind == Kind.TRANSITION]
    first = list(m.init())[choices[0] % len(list(m.init()))]
    assert all(p.predicate(m, first) for p in always)
    s = first
    trail = []
    for c in choices[1:]:
        acts = list(m.actions(s))
        a = acts[c % len(acts)]
        t = _step(m, s, a)
        for p in trans:
            if not p.on or isinstance(a, p.on):
                assert p.predicate(m, s, a, t), (p.name, s, a, t)
        if not isinstance(t, Rejected):
            assert all(p.predicate(m, t) for p in always), (s, a, t)
            s = t
        trail.append(fingerprint(s))
    # the interpreter is deterministic: the same choices give the same run
    s2 = first
    again = []
    for c in choices[1:]:
        acts = list(m.actions(s2))
        t = _step(m, s2, acts[c % len(acts)])
        if not isinstance(t, Rejected):
            s2 = t
        again.append(fingerprint(s2))
    assert again == trail


def test_dispute_rule_is_validated():
    with pytest.raises(ConfigError) as e:
        HostConfiguration(dispute_rule="majority").validate()
    assert "dispute_rule" in str(e.value) and "\n" not in str(e.value)
    assert get_preset("tiny").with_overrides({"dispute_rule": "sdk"}).dispute_rule == "sdk"

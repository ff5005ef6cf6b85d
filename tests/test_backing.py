"""The ``backing`` machine (spec/backing.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.explicit import Checker
from checker.fingerprint import fingerprint
from checker.registry import build, load_all
from model.backing import BackingMachine, Kind, Second, Statement, has_double_vote, statement_bit
from model.core import Rejected
from properties.core import Kind as PKind
from properties.core import mutants_for, properties_for

load_all()

MACHINE = "backing"
SPEC = Path(__file__).resolve().parent.parent / "spec"
RULE = re.compile(r"^\s*- \*\*([A-Z]{2,4}-\d+)\*\*", re.M)

#: (preset, overrides) -> (distinct states, transitions); the three readings of the backing
#: threshold coincide on a group of 3 (2 statements), so the counts agree
PINNED = {
    ("tiny", ()): (8776, 68900),
    ("tiny", (("backing_threshold", "two_thirds"),)): (8776, 68900),
    ("tiny", (("backing_threshold", "sdk"),)): (8776, 68900),
    ("trio", ()): (1224, 7956),
}


def _run(preset="tiny", overrides=(), props=None, mutant=None):
    m = build(MACHINE, preset, mutant=mutant, overrides=dict(overrides) or None)
    return Checker(m).with_properties(properties_for(MACHINE) if props is None else props).run()


def _step(m, s, a):
    try:
        return m.step(s, a)
    except Rejected as r:
        return r


@pytest.mark.parametrize("key", list(PINNED), ids=lambda k: f"{k[0]}-{dict(k[1])}")
def test_pinned_state_counts_and_verdicts(key):
    preset, overrides = key
    r = _run(preset, overrides)
    assert r.complete and r.error is None
    assert (r.states, r.transitions) == PINNED[key]
    for p in r.properties:
        expected = "witnessed" if p.property.kind == PKind.SOMETIMES else "holds"
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
        if p.kind in (PKind.ALWAYS, PKind.TRANSITION):
            assert p.witness is not None, p.name
            assert p.name in killed, p.name


def test_rule_ids_map_to_properties():
    rules = set(RULE.findall((SPEC / "backing.md").read_text()))
    assert rules == {f"BCK-{i}" for i in range(1, 11)}
    named = {r for p in properties_for(MACHINE) for r in p.rules}
    assert rules == named


# -- unit behaviour of the statement table --------------------------------------------------------------------


def test_double_vote_kinds():
    c = 2
    sec0, sec1 = statement_bit(Kind.SECONDED, 0, c), statement_bit(Kind.SECONDED, 1, c)
    val0, val1 = statement_bit(Kind.VALID, 0, c), statement_bit(Kind.VALID, 1, c)
    inv0 = statement_bit(Kind.INVALID, 0, c)
    assert has_double_vote(sec0 | sec1, c)  # two candidates seconded
    assert has_double_vote(sec0 | val0, c)  # issued and validity
    assert has_double_vote(val0 | inv0, c)  # validity and invalidity
    assert has_double_vote(sec0 | inv0, c)  # issued and invalidity
    assert not has_double_vote(sec0 | val1, c)  # second one, vouch for another
    assert not has_double_vote(sec1 | inv0, c)


def test_honest_node_refuses_a_second_seconding():
    m = build(MACHINE, "tiny")
    s = next(st for st in m.init() if st.truth == 0b11)
    s = m.step(s, Second(0, 0))
    with pytest.raises(Rejected) as e:
        m.step(s, Second(0, 1))
    assert e.value.rule_id == "BCK-2"


def test_forged_statement_rejected():
    m = build(MACHINE, "tiny")
    s = next(iter(m.init()))
    with pytest.raises(Rejected) as e:
        m.step(s, Statement(0, Kind.SECONDED, 0, signer=2))
    assert e.value.rule_id == "BCK-1"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=30),
       st.sampled_from(["majority", "two_thirds", "sdk"]))
def test_random_walks_keep_the_properties(choices, reading):
    m = build(MACHINE, "tiny", overrides={"backing_threshold": reading})
    assert isinstance(m, BackingMachine)
    props = properties_for(MACHINE)
    always = [p for p in props if p.kind == PKind.ALWAYS]
    trans = [p for p in props if p.kind == PKind.TRANSITION]
    inits = list(m.init())
    s = first = inits[choices[0] % len(inits)]
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
            assert t.backable & s.backable == s.backable  # backability is never withdrawn
            s = t
        trail.append(fingerprint(s))
    s = first
    for i, c in enumerate(choices[1:]):
        acts = list(m.actions(s))
        t = _step(m, s, acts[c % len(acts)])
        if not isinstance(t, Rejected):
            s = t
        assert fingerprint(s) == trail[i]

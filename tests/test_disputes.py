"""The ``disputes`` machine (spec/disputes.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.explicit import Checker
from checker.fingerprint import fingerprint
from checker.registry import build, load_all
from model.core import Rejected
from model.disputes import Block, Build, Dispute, Finalize, Phase, Rollup, Side, Tick, Vote
from model.disputes import Kind as RecordKind
from properties.core import Kind, mutants_for, properties_for

load_all()

MACHINE = "disputes"
SPEC = Path(__file__).resolve().parent.parent / "spec"
RULE = re.compile(r"^\s*- \*\*([A-Z]{2,4}-\d+)\*\*", re.M)

PINNED = {
    ("tiny", ()): (14746, 87056),
    ("tiny", (("dispute_rule", "sdk"),)): (13515, 79899),
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


def test_rule_ids_map_to_properties():
    """Every rule of spec/disputes.md is named by a property (DSP-9 and SLS-1 .. SLS-3 also
    by the count-level escalation machine), and every property names existing rules."""
    rules = set(RULE.findall((SPEC / "disputes.md").read_text()))
    assert rules == {f"DSP-{i}" for i in range(1, 13)} | {f"SLS-{i}" for i in range(1, 5)}
    named = {r for mach in ("disputes", "escalation") for p in properties_for(mach) for r in p.rules}
    assert rules <= named
    known = set()
    for doc in SPEC.glob("*.md"):
        known |= set(RULE.findall(doc.read_text()))
    for p in properties_for(MACHINE):
        assert set(p.rules) <= known, (p.name, p.rules)


def test_invalid_candidate_reverts_fork_a_and_is_blacklisted():
    """X (invalid, backed by the byzantine validator) is included in A1 and Y in A2; the
    honest validators dispute X; after the window fork A reverts to G and X is blacklisted;
    a new fork B cannot include X, and the concluded dispute is rolled up onto it before
    any block passes, slashing X's backer there too."""
    m = build(MACHINE, "tiny")
    byz = 1 << m.params.byzantine
    s = next(s for s in m.init() if not s.truth_valid)
    s = m.step(s, Build(Block.A1, True))
    s = m.step(s, Build(Block.A2))
    for v in (0, 1, 2):
        s = m.step(s, Vote(0, v, Side.INVALID))
    assert s.records[0].phase == Phase.CONCLUDED
    with pytest.raises(Rejected) as e:
        m.step(s, Finalize(Block.A1))
    assert e.value.rule_id == "DSP-10"
    s = m.step(s, Tick())
    s = m.step(s, Tick())
    assert s.blacklisted and s.reverted == (1 << Block.A1) | (1 << Block.A2)
    assert s.records[0].slashed == byz and not s.records[0].slashed & (1 << 1)  # Y's backer spared
    with pytest.raises(Rejected) as e:
        m.step(s, Build(Block.B1, True))
    assert e.value.rule_id == "DSP-8"
    s = m.step(s, Build(Block.B1, False))
    with pytest.raises(Rejected) as e:
        m.step(s, Tick())  # the concluded dispute must first reach fork B (DSP-11)
    assert e.value.rule_id == "DSP-12"
    s = m.step(s, Rollup(1, 0))
    assert s.records[1].kind == RecordKind.ROLLUP and s.records[1].phase == Phase.CONCLUDED
    s = m.step(s, Tick())
    s = m.step(s, Tick())
    assert s.records[1].phase == Phase.CLOSED and s.records[1].slashed == byz


def test_remote_dispute_on_an_unavailable_candidate_slashes_the_disputer():
    m = build(MACHINE, "tiny")
    s = next(s for s in m.init() if not s.truth_valid)
    s = m.step(s, Build(Block.B1, False))
    byz = m.params.byzantine
    s = m.step(s, Dispute(1, byz))
    assert s.records[1].phase == Phase.AVAILABILITY
    s = m.step(s, Tick())
    r = s.records[1]
    assert r.phase == Phase.CLOSED and r.slashed == 1 << byz and r.fee == 1 << byz


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=40),
       st.sampled_from(["seed", "sdk"]))
def test_random_walks_keep_the_properties(choices, rule):
    m = build(MACHINE, "tiny", overrides={"dispute_rule": rule})
    props = properties_for(MACHINE)
    always = [p for p in props if p.kind == Kind.ALWAYS]
    trans = [p for p in props if p.kind == Kind.TRANSITION]
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
            assert t.reverted & s.reverted == s.reverted and (t.blacklisted or not s.blacklisted)
            s = t
        trail.append(fingerprint(s))
    s = first
    for i, c in enumerate(choices[1:]):
        acts = list(m.actions(s))
        t = _step(m, s, acts[c % len(acts)])
        if not isinstance(t, Rejected):
            s = t
        assert fingerprint(s) == trail[i]

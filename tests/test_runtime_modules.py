"""The runtime modules explored alone: configuration, paras, scheduler (tiny preset).

Pinned distinct-state counts, every property's verdict, and every mutant killed by
each property it names.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.explicit import Checker, Verdict
from checker.registry import build, load_all, properties_of
from model.core import Rejected
from properties.core import Kind, mutants_for

load_all()

#: machine -> distinct states at the tiny preset
PINNED = {
    "configuration": 301,
    "paras": 18057,
    "scheduler": 11723,
}

_RESULTS: dict[str, object] = {}


def result(machine: str):
    if machine not in _RESULTS:
        _RESULTS[machine] = Checker(build(machine, "tiny")).with_properties(properties_of(machine)).run()
    return _RESULTS[machine]


@pytest.mark.parametrize("machine", sorted(PINNED))
def test_state_count_pinned(machine):
    r = result(machine)
    assert r.error is None, r.error and r.error.detail
    assert r.complete
    assert r.states == PINNED[machine]


@pytest.mark.parametrize("machine", sorted(PINNED))
def test_every_property_passes(machine):
    r = result(machine)
    bad = {p.property.name: p.verdict for p in r.properties if p.verdict not in (Verdict.HOLDS, Verdict.WITNESSED)}
    assert bad == {}
    # every always/transition property was exercised by its witness
    assert all(p.witnessed > 0 for p in r.properties)


MUTANTS = [(m, mu.name) for m in sorted(PINNED) for mu in mutants_for(m)]


@pytest.mark.parametrize("machine,mutant", MUTANTS, ids=[n for _, n in MUTANTS])
def test_mutant_killed(machine, mutant):
    mu = next(x for x in mutants_for(machine) if x.name == mutant)
    props = [p for p in properties_of(machine) if p.name in mu.kills]
    assert len(props) == len(mu.kills)
    r = Checker(build(machine, None, mutant=mutant)).with_properties(props).with_stop_on_violation(mu.kills).run()
    assert r.error is None, r.error and r.error.detail
    verdicts = {p.property.name: p.verdict for p in r.properties}
    assert verdicts == {k: Verdict.VIOLATED for k in mu.kills}
    # the counterexample replays: its last transition breaks the property
    for p in r.properties:
        assert p.trace is not None


def test_every_module_property_is_killed_by_a_mutant():
    for machine in PINNED:
        killed = {k for mu in mutants_for(machine) for k in mu.kills}
        safety = {p.name for p in properties_of(machine) if p.kind.value in ("always", "transition")}
        assert safety <= killed, (machine, safety - killed)


# -- random walks deeper than the exhaustive bounds (Hypothesis) --------------------------------------

DEEPER = {
    "configuration": {"max_sessions": 8},
    "paras": {"max_blocks": 16, "max_sessions": 4, "max_codes": 5},
    "scheduler": {"max_blocks": 14, "max_sessions": 4},
}


@pytest.mark.parametrize("machine", sorted(DEEPER))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.integers(min_value=0, max_value=10_000), min_size=10, max_size=30))
def test_random_walks_keep_module_properties(machine, picks):
    m = build(machine, "tiny")
    for k, v in DEEPER[machine].items():
        setattr(m, k, v)
    props = properties_of(machine)
    invariants = [p for p in props if p.kind == Kind.ALWAYS]
    transitions = [p for p in props if p.kind == Kind.TRANSITION]
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
        for p in transitions:
            if not p.on or isinstance(a, p.on):
                assert p.predicate(m, s, a, t), (p.name, a)
        if not isinstance(t, Rejected):
            for p in invariants:
                assert p.predicate(m, t), (p.name, a)
            s = t

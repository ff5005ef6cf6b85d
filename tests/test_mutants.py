"""Every mutant of every machine is caught, with a shortest counterexample that replays
on it, by every property it names (the correct model passes them: test_manifest.py)."""

import pytest

from paraspec.checker.explicit import Checker
from paraspec.checker.results import Verdict
from paraspec.checker.registry import build, load_all, properties_of
from paraspec.model.core import Rejected
from paraspec.properties.core import MUTANTS

load_all()


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_is_killed(name):
    mut = MUTANTS[name]
    machine = build(mut.machine, None, name)
    props = [p for p in properties_of(mut.machine) if p.name in mut.kills]
    assert len(props) == len(mut.kills), f"{name} names a property {mut.machine} does not have"
    r = Checker(machine).with_properties(props).with_stop_on_violation(mut.kills).run()
    assert r.error is None, f"{name}: model error {r.error}"
    for pr in r.properties:
        assert pr.verdict == Verdict.VIOLATED, f"{name} survives {pr.property.name}"
        assert pr.trace is not None  # (length 0 when the initial state already violates it)
        # the counterexample replays on the mutant
        for s, a, t in zip(pr.trace.states, pr.trace.actions, pr.trace.states[1:]):
            assert machine.step(s, a) == t
        if pr.trace.rejection is not None:  # a counterexample may end in a rejected input
            with pytest.raises(Rejected) as e:
                machine.step(pr.trace.states[-1], pr.trace.actions[-1])
            assert e.value.rule_id == pr.trace.rejection.rule_id

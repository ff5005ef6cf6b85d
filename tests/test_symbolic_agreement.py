"""Cross-engine agreement: on every spine machine and each of its mutants, at a small bound,
the explicit engine (BFS with ``max_depth``) and the symbolic one (BMC) agree on every
property: violated or not (with the same shortest counterexample length), whether its
witness fires, and whether each ``sometimes`` property is witnessed."""

import pytest

from paraspec.checker.registry import build, load_all, properties_of
from paraspec.checker.symbolic.agreement import agreement
from paraspec.properties.core import MUTANTS

load_all()

#: bound per machine: availability counterexamples of its mutants are at most 4 steps
#: (but one), inclusion's shallow ones at most 2 (the deeper ones: test_symbolic_proofs)
DEPTH = {"availability": 4, "inclusion": 2}
CONFIGS = [(m, None) for m in DEPTH] + [(mu.machine, mu.name) for mu in MUTANTS.values() if mu.machine in DEPTH]


def _build(machine, mutant):
    overrides = {"max_candidates": 1} if machine == "inclusion" else {}
    return build(machine, "trio", mutant, overrides)


@pytest.mark.parametrize("machine,mutant", CONFIGS, ids=[f"{m}-{u}" for m, u in CONFIGS])
def test_explicit_and_symbolic_verdicts_agree(machine, mutant):
    m = _build(machine, mutant)
    rows = agreement(m, properties_of(machine), DEPTH[machine])
    bad = [r for r in rows if not r.agrees]
    assert not bad, "\n".join(map(str, bad))
    assert not any(r.symbolic.startswith("unknown") for r in rows)
    if mutant is None:
        assert all(r.explicit in ("holds", "witnessed", "unwitnessed") for r in rows)
    # the matrix is not vacuous: some witnesses fire within the bound
    assert any(r.explicit_witness for r in rows)


def test_matrix_covers_every_spine_mutant():
    assert {u for _, u in CONFIGS if u} == {mu.name for mu in MUTANTS.values() if mu.machine in DEPTH}


@pytest.mark.parametrize("mutant", ["av_threshold_ge", "av_no_signature_check", "inc_wrong_exit"])
def test_caught_mutants_violate_within_the_bound_in_both_engines(mutant):
    mu = MUTANTS[mutant]
    rows = agreement(_build(mu.machine, mutant), properties_of(mu.machine), DEPTH[mu.machine])
    violated = {r.property for r in rows if r.symbolic == "violated"}
    assert set(mu.kills) <= violated
    assert all(r.symbolic_length == r.explicit_length for r in rows if r.property in mu.kills)

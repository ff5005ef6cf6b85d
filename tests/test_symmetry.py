"""Symmetry reduction: reduced and full searches give the same verdicts, on every
property and every mutant of every machine that declares a symmetry."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paraspec.checker.explicit import Checker
from paraspec.checker.results import Verdict
from paraspec.checker.registry import build, load_all, properties_of
from paraspec.checker.symmetry import Canonicalizer
from paraspec.model.avail_core import AvailCoreConfig, AvailCoreMachine, CoreState
from paraspec.model.core import MACHINES
from paraspec.properties.core import MUTANTS

load_all()


def symmetric_machines():
    out = []
    for name in sorted(MACHINES):
        m = build(name, None)
        if getattr(m, "symmetry", None) is not None:
            out.append(name)
    return out


CASES = [(name, None) for name in symmetric_machines()] + sorted(
    (mu.machine, mu.name) for mu in MUTANTS.values() if mu.machine in symmetric_machines())


def test_some_machine_declares_symmetry():
    assert "avail_core" in symmetric_machines()


@pytest.mark.parametrize("machine,mutant", CASES, ids=lambda x: str(x))
def test_reduced_and_full_verdicts_agree(machine, mutant):
    m = build(machine, "trio", mutant)  # 3 validators: where > 2/3 and >= 2/3 differ
    props = properties_of(machine)
    full = Checker(m).with_properties(props).run()
    red = Checker(m).with_properties(props).with_symmetry().run()
    assert red.states < full.states
    assert red.depth == full.depth
    assert [p.verdict for p in full.properties] == [p.verdict for p in red.properties]
    for pf, pr in zip(full.properties, red.properties):
        if pf.verdict == Verdict.VIOLATED and pf.property.kind.value in ("always", "transition"):
            # shortest in both, and the lifted counterexample is a real run of the machine
            assert len(pf.trace) == len(pr.trace)
            for s, a, t in zip(pr.trace.states, pr.trace.actions, pr.trace.states[1:]):
                assert m.step(s, a) == t
        if pr.trace is not None and pr.trace.loop is not None:
            states, acts = pr.trace.states, pr.trace.actions
            for s, a, t in zip(states, acts, states[1:] + (states[pr.trace.loop],)):
                assert m.step(s, a) == t  # the lasso closes on a concrete state


def test_explicit_engine_symmetry_agrees():
    m = AvailCoreMachine(AvailCoreConfig(name="n2", n_validators=2, n_cores=2))
    props = properties_of("avail_core")
    full = Checker(m).with_properties(props).with_engine("explicit").run()
    red = Checker(m).with_properties(props).with_engine("explicit").with_symmetry().run()
    vec = Checker(m).with_properties(props).with_engine("vector").with_symmetry().run()
    assert red.states == vec.states < full.states
    assert [p.verdict for p in full.properties] == [p.verdict for p in red.properties] == \
        [p.verdict for p in vec.properties]


@given(st.integers(2, 6), st.data())
def test_canonical_form_is_constant_on_orbits(n, data):
    m = AvailCoreMachine(AvailCoreConfig(name="x", n_validators=n, n_cores=2))
    c = Canonicalizer(m)
    full = (1 << n) - 1
    occ = data.draw(st.tuples(st.integers(0, 1), st.integers(0, 1)))
    votes = tuple(data.draw(st.integers(0, full)) if o else 0 for o in occ)
    age = tuple(data.draw(st.integers(0, 2)) if o else 0 for o in occ)
    s = CoreState(occ, votes, age, data.draw(st.tuples(st.integers(0, 2), st.integers(0, 2))),
                  data.draw(st.tuples(st.integers(0, 2), st.integers(0, 2))))
    perm = data.draw(st.permutations(range(n)))
    swap = data.draw(st.booleans())

    def permute_mask(x):
        return sum(1 << perm[i] for i in range(n) if (x >> i) & 1)

    t = CoreState(s.occupied, tuple(permute_mask(v) for v in s.votes), s.age, s.enacted, s.timed_out)
    if swap:
        t = CoreState(*(tuple(reversed(getattr(t, f))) for f in ("occupied", "votes", "age", "enacted", "timed_out")))
    rep_s, fp_s = c.canonical(s)
    rep_t, fp_t = c.canonical(t)
    assert fp_s == fp_t and rep_s == rep_t
    # the representative is in the orbit: same vote counts per core up to the core swap
    counts = sorted(zip(s.occupied, [v.bit_count() for v in s.votes], s.age, s.enacted, s.timed_out))
    assert sorted(zip(rep_s.occupied, [v.bit_count() for v in rep_s.votes], rep_s.age, rep_s.enacted,
                      rep_s.timed_out)) == counts
    # and the number of validators voting for both cores is kept
    assert (rep_s.votes[0] & rep_s.votes[1]).bit_count() == (s.votes[0] & s.votes[1]).bit_count()


def test_orbit_count_matches_combinatorics():
    """Validators x cores: per core pair, masks up to simultaneous permutation are counted
    by how many validators vote for both, for one only, for neither."""
    n = 3
    m = AvailCoreMachine(AvailCoreConfig(name="n3", n_validators=n, n_cores=2))
    c = Canonicalizer(m)
    seen = set()
    for occ in itertools.product((0, 1), repeat=2):
        for v0 in range(1 << n) if occ[0] else (0,):
            for v1 in range(1 << n) if occ[1] else (0,):
                seen.add(c.canonical(CoreState(occ, (v0, v1), (0, 0), (0, 0), (0, 0)))[1])
    # both free: 1; one busy: n+1 masks, twice, halved by the core swap; both busy: orbits of
    # (mask0, mask1) under S_n x S_2 = compositions of n into 4 parts up to swapping the cores
    comps = [(a, b, c_, n - a - b - c_) for a in range(n + 1) for b in range(n + 1 - a)
             for c_ in range(n + 1 - a - b)]
    both = {min((a, b, c_, d), (a, c_, b, d)) for a, b, c_, d in comps}
    assert len(seen) == 1 + (n + 1) + len(both)

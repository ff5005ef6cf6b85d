"""The benchmark twin ``avail_core``: pinned counts, verdicts, and its rules on ints and arrays alike."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paraspec.checker.explicit import Checker
from paraspec.checker.results import Verdict
from paraspec.checker.packing import layout_of
from paraspec.checker.registry import build, properties_of
from paraspec.model.avail_core import AvailCoreConfig, AvailCoreMachine, Tick
from paraspec.model.core import Rejected

PROPS = properties_of("avail_core")


def machine(n, cores=2):
    return AvailCoreMachine(AvailCoreConfig(name=f"n{n}", n_validators=n, n_cores=cores).validate())


def expected(n, k=2):
    """(9 * (3 * 2^n + 1))^k: every combination of the per-core variables is reachable."""
    return (9 * (3 * 2 ** n + 1)) ** k


# the peer counts of benchmarks/README.md: 194,481 (n = 4), 762,129 (n = 5), 3,017,169 (n = 6)
MANIFEST = {("tiny", 4): (194481, 40), ("small", 5): (762129, 46), ("trio", 3): (50625, 38)}


@pytest.mark.parametrize("preset,n", sorted(MANIFEST))
def test_manifest_matches_peer_counts(preset, n):
    m = build("avail_core", preset)
    r = Checker(m).with_properties(PROPS).run()
    assert (r.states, r.depth) == MANIFEST[(preset, n)]
    assert r.states == expected(n)
    assert r.complete and r.ok, [(p.property.name, p.verdict) for p in r.properties if not p.ok]
    assert {p.verdict for p in r.properties} == {Verdict.HOLDS, Verdict.WITNESSED}
    assert set(r.rejections) == {"AC-1", "AC-2"}


def test_explicit_and_vector_engines_agree():
    m = machine(2)
    a = Checker(m).with_properties(PROPS).with_engine("explicit").run()
    b = Checker(m).with_properties(PROPS).with_engine("vector").run()
    assert a.engine.startswith("bfs") and b.engine == "vector"
    assert a.states == b.states == expected(2)
    assert (a.depth, a.transitions, a.rejections, a.deadlocks) == (b.depth, b.transitions, b.rejections, b.deadlocks)
    assert [p.verdict for p in a.properties] == [p.verdict for p in b.properties]


@pytest.mark.parametrize("mutant", ["ac_threshold_half", "ac_timeout_early", "ac_unheld_candidate_stalls"])
def test_engines_agree_on_mutants(mutant):
    m = build("avail_core", None, mutant)
    a = Checker(m).with_properties(PROPS).with_engine("explicit").with_max_depth(12).run()
    b = Checker(m).with_properties(PROPS).with_engine("vector").with_max_depth(12).run()
    assert a.states == b.states
    for pa, pb in zip(a.properties, b.properties):
        assert pa.verdict == pb.verdict, pa.property.name
        if pa.verdict == Verdict.VIOLATED and pa.trace is not None:
            assert len(pa.trace) == len(pb.trace)  # both shortest


def test_vector_engine_is_chosen_only_when_possible():
    from paraspec.properties.core import Kind, Property

    m = machine(2)
    plain = Property("plain", Kind.ALWAYS, "avail_core", ("AC-1",), lambda m, s: True, lambda m, s: True)
    assert Checker(m).with_properties(PROPS).chosen_engine() == "vector"
    assert Checker(m).with_properties([plain]).chosen_engine() == "explicit"
    assert Checker(build("inclusion", "tiny")).chosen_engine() == "vector"
    with pytest.raises(ValueError, match="not marked @vectorized"):
        Checker(m).with_properties([plain]).with_engine("vector").chosen_engine()


actions_st = st.lists(st.integers(0, 10_000), max_size=60)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), actions_st)
def test_rules_on_ints_and_on_arrays_agree(n, picks):
    """The interpreter (ints) and the vectorized engine (arrays) run the same methods:
    along a random run, the batch evaluation of guards and effects equals ``step``."""
    m = machine(n)
    lay = layout_of(m)
    s = next(iter(m.init()))
    acts = m.action_space()
    for k in picks:
        a = acts[k % len(acts)]
        S = lay.unpack(np.array([lay.code(s)], dtype=np.int64))
        ok = all(bool(np.asarray(c).all()) for c, _, _ in m.guards(S, a))
        try:
            t = m.step(s, a)
        except Rejected:
            assert not ok
            continue
        assert ok
        T = m.effect(S, a)
        got = int(np.asarray(lay.pack(T)).reshape(-1)[0]) if not isinstance(lay.pack(T), int) else lay.pack(T)
        assert got == lay.code(t)
        for p in PROPS:
            if p.kind.value == "always":
                assert p.predicate(m, t)
        s = t


@given(st.integers(2, 8), st.lists(st.integers(0, 255), min_size=2, max_size=2), st.integers(0, 2))
def test_packing_round_trips(n, votes, age):
    m = machine(n)
    lay = layout_of(m)
    from paraspec.model.avail_core import CoreState
    full = (1 << n) - 1
    s = CoreState((1, 1), tuple(v & full for v in votes), (age, 0), (2, 1), (0, 2))
    assert lay.unpack(lay.code(s)) == s


def test_tick_is_never_rejected_and_decides_cores():
    m = machine(4)
    s = next(iter(m.init()))
    from paraspec.model.avail_core import Back, Vote
    for a in (Back(0), Vote(0, 0), Vote(0, 1), Vote(0, 2)):
        s = m.step(s, a)
    t = m.step(s, Tick())
    assert t.occupied[0] == 0 and t.enacted[0] == 1  # 3 of 4 > 2/3

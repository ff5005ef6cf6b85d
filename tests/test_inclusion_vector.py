"""``inclusion`` on the vectorized engine: one rule text on ints and on numpy arrays.

The machine keeps ``actions`` (its per-state inputs, the explicit engine's order and counts)
and adds a fixed ``action_space`` whose per-state choice is a guard of rule ``None``
(``explored``); its availability cores are optional records (``X | None``), packed with a
presence bit and held on a frontier as ``logic.OptionalBatch``. These tests check, on every
reachable state of small configurations, that the vectorized engine tries the same inputs,
rejects the same ones by the same rule and reaches the same successors as the explicit
engine; that both engines give the same counts, verdicts and witness counts; and that every
mutant is caught on the vector engine by the properties it names.
"""

import numpy as np
import pytest

from paraspec.checker.explicit import Checker
from paraspec.checker.packing import layout_of
from paraspec.checker.registry import build, properties_of
from paraspec.checker.results import Verdict
from paraspec.model.core import Rejected
from paraspec.model.inclusion import PendingAvailability
from paraspec.model.logic import OptionalBatch

PROPS = properties_of("inclusion")

#: (preset, overrides): one candidate per para under each reading (a few thousand states)
CONFIGS = [
    ("trio", {"max_candidates": 1}),
    ("tiny", {"max_candidates": 1}),
    ("trio", {"max_candidates": 1, "free_core_bit": "reject"}),
    ("trio", {"max_candidates": 1, "reading": "sdk"}),
]


def _levels(m):
    seen = set(m.init())
    level = list(seen)
    while level:
        yield level
        nxt = []
        for s in level:
            for a in m.actions(s):
                t = m.try_step(s, a)
                if not isinstance(t, Rejected) and t not in seen:
                    seen.add(t)
                    nxt.append(t)
        level = nxt


def _explicit_edges(m, level, lay):
    out = set()
    for s in level:
        for a in m.actions(s):
            t = m.try_step(s, a)
            out.add((lay.code(s), a, t.rule_id if isinstance(t, Rejected) else lay.code(t)))
    return out


def _vector_edges(m, level, lay):
    codes = np.array([lay.code(s) for s in level], dtype=np.int64)
    S = lay.unpack(codes)
    n = len(codes)
    out = set()
    for a in m.action_space():
        tried = np.ones(n, dtype=bool)
        rule = np.full(n, None, dtype=object)
        for cond, rid, _ in m.guards(S, a):
            cond = np.broadcast_to(np.asarray(cond, dtype=bool), (n,))
            if rid is None:
                tried &= cond
            else:
                rule[(rule == None) & ~cond] = rid  # noqa: E711 (element-wise)
        ok = tried & (rule == None)  # noqa: E711
        T = lay.map(m.effect(S, a), lambda x: np.broadcast_to(np.asarray(x, dtype=np.int64), (n,)))
        tcodes = lay.pack(T)
        for i in np.nonzero(tried)[0]:
            out.add((int(codes[i]), a, int(tcodes[i]) if ok[i] else rule[i]))
    return out


@pytest.mark.parametrize("preset,overrides", CONFIGS[:1] + CONFIGS[2:])
def test_vector_rules_give_the_explicit_successors_on_every_reachable_state(preset, overrides):
    m = build("inclusion", preset, overrides=overrides)
    lay = layout_of(m)
    assert lay is not None and lay.fits_int64
    total = 0
    for level in _levels(m):
        assert _vector_edges(m, level, lay) == _explicit_edges(m, level, lay)
        total += len(level)
    assert total > 1000


def test_optional_cores_round_trip():
    m = build("inclusion", "trio", overrides={"max_candidates": 1})
    lay = layout_of(m)
    some = False
    for level in _levels(m):
        for s in level:
            assert lay.unpack(lay.code(s)) == s
            some = some or any(c is not None for c in s.cores)
        codes = np.array([lay.code(s) for s in level], dtype=np.int64)
        S = lay.unpack(codes)
        assert all(type(c) is OptionalBatch for c in S.cores)
        assert (lay.pack(S) == codes).all()
    assert some


def test_an_absent_core_packs_to_zero_whatever_its_fields_hold():
    """On a frontier the fields of an absent core are junk (an effect computes them for every
    state): the code must not depend on them, or one state would get two codes."""
    m = build("inclusion", "trio", overrides={"max_candidates": 1})
    lay = layout_of(m)
    s = next(iter(m.init()))
    batch = lay.map(lay.unpack(np.array([lay.code(s)] * 2, dtype=np.int64)), lambda x: np.asarray(x, dtype=np.int64))
    junk = OptionalBatch(np.array([False, False]), PendingAvailability(np.array([1, 0]), np.array([1, 1]),
                                                                        np.array([5, 0]), np.array([1, 0])))
    batch = batch.__class__(batch.paras, (junk, batch.cores[1]), batch.signed, batch.exits, batch.last_exit)
    assert (lay.pack(batch) == lay.code(s)).all()


def _summary(r):
    return (r.states, r.transitions, r.depth, r.rejections, r.deadlocks,
            [(p.property.name, p.verdict) for p in r.properties],
            [p.witnessed for p in r.properties if p.property.kind.name in ("ALWAYS", "TRANSITION")])


@pytest.mark.parametrize("preset,overrides", CONFIGS)
def test_engines_agree(preset, overrides):
    m = build("inclusion", preset, overrides=overrides)
    a = Checker(m).with_properties(PROPS).with_engine("explicit").run()
    b = Checker(m).with_properties(PROPS).with_engine("vector").run()
    assert a.engine.startswith("bfs") and b.engine == "vector"
    assert a.complete and b.complete
    assert _summary(a) == _summary(b)
    if overrides.get("free_core_bit") == "reject":
        assert "AV-5" in b.rejections


def test_auto_picks_the_vector_engine_and_polkadot_stays_explicit():
    assert Checker(build("inclusion", "tiny")).with_properties(PROPS).chosen_engine() == "vector"
    assert layout_of(build("inclusion", "polkadot")) is None
    assert Checker(build("inclusion", "polkadot")).chosen_engine() == "explicit"


def test_a_property_not_written_for_arrays_is_refused_not_ignored():
    from paraspec.properties.core import Kind, Property

    plain = Property("plain", Kind.ALWAYS, "inclusion", ("INC-1",), lambda m, s: True)
    c = Checker(build("inclusion", "trio", overrides={"max_candidates": 1})).with_properties([plain])
    assert c.chosen_engine() == "explicit"
    with pytest.raises(ValueError, match="not marked @vectorized"):
        c.with_engine("vector").chosen_engine()


MUTANTS = ["inc_threshold_half", "inc_timeout_early", "inc_occupied_core_overwritten", "inc_second_core",
           "inc_timed_out_kept", "inc_no_backing_check", "inc_any_validator_backs", "inc_wrong_exit",
           "inc_no_signature_check", "inc_candidates_before_availability", "inc_unvoted_never_ages"]


def test_the_mutant_list_is_complete():
    from paraspec.properties.core import mutants_for

    assert sorted(MUTANTS) == sorted(x.name for x in mutants_for("inclusion"))


@pytest.mark.parametrize("mutant", MUTANTS)
def test_every_mutant_is_caught_on_both_engines(mutant):
    """Each mutant is caught by a property it names on both engines, by traces of one length."""
    from paraspec.properties.core import mutants_for

    mu = next(x for x in mutants_for("inclusion") if x.name == mutant)
    m = build("inclusion", mu.preset or "tiny", mutant, overrides=dict(mu.overrides))
    a, b = (Checker(m).with_properties(PROPS).with_engine(e).with_stop_on_violation(mu.kills).run()
            for e in ("explicit", "vector"))
    assert a.engine.startswith("bfs") and b.engine == "vector"
    caught = [name for name in mu.kills
              if next(p for p in b.properties if p.property.name == name).verdict == Verdict.VIOLATED]
    assert caught, mutant
    for name in caught:
        pa, pb = (next(p for p in r.properties if p.property.name == name) for r in (a, b))
        assert pa.verdict == Verdict.VIOLATED, name
        assert len(pa.trace) == len(pb.trace)  # both shortest

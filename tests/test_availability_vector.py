"""``availability`` on the vectorized engine: one rule text on ints and on numpy arrays.

The machine keeps ``actions`` (its per-state inputs, the explicit engine's order and counts)
and adds a fixed ``action_space`` whose per-state choice is a guard of rule ``None``
(``explored``). These tests check, on every reachable state of small configurations and
under each AV-5 reading and ``reading=sdk``, that the vectorized engine tries the same
inputs, rejects the same ones by the same rule and reaches the same successors as the
explicit engine, and that both engines give the same counts, verdicts and witness hits.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

from paraspec.checker.explicit import Checker
from paraspec.checker.packing import layout_of
from paraspec.checker.registry import build, properties_of
from paraspec.checker.results import Verdict
from paraspec.model.availability import Status
from paraspec.model.core import Rejected

PROPS = properties_of("availability")

#: (preset, overrides): the full ``trio`` (seed reading), and each other reading with one
#: candidate per para (a few thousand states: cheap)
CONFIGS = [
    ("trio", {}),
    ("trio", {"max_candidates": 1, "free_core_bit": "bit"}),
    ("trio", {"max_candidates": 1, "free_core_bit": "reject"}),
    ("trio", {"max_candidates": 1, "reading": "sdk"}),
]


def _machine(preset, overrides, mutant=None):
    return build("availability", preset, mutant, overrides=overrides)


def _levels(m):
    """The reachable states, level by level (the explicit engine's inputs and steps)."""
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
    """The same edges from the rules run once per action on the whole level (numpy arrays)."""
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


@pytest.mark.parametrize("preset,overrides", CONFIGS)
def test_vector_rules_give_the_explicit_successors_on_every_reachable_state(preset, overrides):
    m = _machine(preset, overrides)
    lay = layout_of(m)
    assert lay is not None and lay.fits_int64
    total = 0
    for level in _levels(m):
        assert _vector_edges(m, level, lay) == _explicit_edges(m, level, lay)
        total += len(level)
    assert total > 1000


def test_layout_round_trips_records_and_enum():
    m = _machine("trio", {"max_candidates": 1})
    lay = layout_of(m)
    for level in _levels(m):
        for s in level:
            back = lay.unpack(lay.code(s))
            assert back == s and all(type(p.status) is Status for p in back.paras)
        codes = np.array([lay.code(s) for s in level], dtype=np.int64)
        assert (lay.pack(lay.unpack(codes)) == codes).all()


def test_a_value_outside_its_bits_is_refused():
    m = _machine("trio", {})
    lay = layout_of(m)
    s = next(iter(m.init()))
    bad = s.__class__(tuple(p.__class__(votes=1 << 3) for p in s.paras), 0)
    with pytest.raises(ValueError, match=r"paras\[0\]\.votes"):
        lay.code(bad)


def test_polkadot_needs_more_than_63_bits_so_no_layout():
    assert layout_of(build("availability", "polkadot")) is None
    assert Checker(build("availability", "polkadot")).chosen_engine() == "explicit"


def _summary(r):
    return (r.states, r.transitions, r.depth, r.rejections, r.deadlocks,
            [(p.property.name, p.verdict) for p in r.properties],
            [p.witnessed for p in r.properties if p.property.kind.name in ("ALWAYS", "TRANSITION")])


@pytest.mark.parametrize("preset,overrides", CONFIGS[1:])
def test_engines_agree(preset, overrides):
    m = _machine(preset, overrides)
    a = Checker(m).with_properties(PROPS).with_engine("explicit").run()
    b = Checker(m).with_properties(PROPS).with_engine("vector").run()
    assert a.engine.startswith("bfs") and b.engine == "vector"
    assert a.complete and b.complete and a.ok and b.ok
    assert _summary(a) == _summary(b)
    if overrides.get("free_core_bit") == "reject":
        assert "AV-5" in b.rejections


def test_tiny_on_the_vector_engine_matches_the_manifest():
    r = Checker(build("availability", "tiny")).with_properties(PROPS).with_engine("vector").run()
    assert (r.states, r.transitions, r.depth) == (89780, 1071392, 16)
    assert r.complete and r.ok
    assert set(r.rejections) == {"AV-1", "AV-2", "AV-3", "AV-4", "AV-10"}


MUTANTS = ["av_threshold_ge", "av_threshold_half", "av_timeout_off_by_one", "av_unavailable_still_counted",
           "av_no_signature_check", "av_duplicates_allowed", "av_no_length_check", "av_free_bits_counted",
           "av_note_over_pending", "av_vote_not_recorded", "av_age_not_advanced"]


@pytest.mark.parametrize("mutant", MUTANTS)
def test_engines_agree_on_mutants(mutant):
    """Every mutant is caught by the properties it names on both engines, by traces of one length."""
    from paraspec.properties.core import mutants_for

    mu = next(x for x in mutants_for("availability") if x.name == mutant)
    m = _machine("trio", {}, mutant)
    a, b = (Checker(m).with_properties(PROPS).with_engine(e).with_stop_on_violation(mu.kills).run()
            for e in ("explicit", "vector"))
    assert a.engine.startswith("bfs") and b.engine == "vector"
    for name in mu.kills:
        pa, pb = (next(p for p in r.properties if p.property.name == name) for r in (a, b))
        assert pa.verdict == pb.verdict == Verdict.VIOLATED, name
        assert len(pa.trace) == len(pb.trace)  # both shortest


def test_vector_counterexample_replays(tmp_path):
    """A counterexample found by the vectorized engine is written as ITF and replays on the model."""
    cmd = [sys.executable, "-m", "paraspec.checker.cli"]
    r = subprocess.run(cmd + ["check", "availability", "--preset", "trio", "--engine", "vector", "--mutant",
                              "av_threshold_ge", "--trace-dir", str(tmp_path), "--json", str(tmp_path / "r.json"),
                              "-q"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stderr
    res = json.loads((tmp_path / "r.json").read_text())["results"][0]
    assert res["engine"] == "vector"
    traces = sorted(tmp_path.glob("*counterexample*.itf.json"))
    assert traces
    r = subprocess.run(cmd + ["trace", "replay", *map(str, traces)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_rule_predicates_run_only_where_the_interpreter_branch_reaches_them():
    """Vector tracing records each rule predicate a step evaluates: the dual-use rules must not
    evaluate AV-6/AV-7 for a para with no candidate, nor ask about the paras after the first
    free bit of a disregarded bitfield (else the vector suite's cases would change)."""
    from paraspec.checker.vectors.tracing import RuleTracer
    from paraspec.model.availability import EndBlock, SignBitfield

    m = _machine("tiny", {})
    tracer = RuleTracer(m, [])
    s0 = next(iter(m.init()))
    _, seen = tracer.step(m.step, s0, EndBlock(0))
    assert "AV-6" not in seen and "AV-7" not in seen
    s1 = m.step(s0, EndBlock(0b10))  # para 1 pending, para 0 free
    _, seen = tracer.step(m.step, s1, EndBlock(0))
    assert seen["AV-6"] == {False} and seen["AV-7"] == {False}
    _, seen = tracer.step(m.step, s1, SignBitfield(0, 0b11, 2, 0))
    assert seen["AV-9"] == {False}  # para 0's bit voids the bitfield: para 1 is not asked

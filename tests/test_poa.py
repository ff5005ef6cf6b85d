"""[POA]: the ``poa`` machine, its block-period arithmetic, mutants and playbooks."""

import attrs
import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from paraspec.checker.registry import UsageError, build, load_all, properties_of
from paraspec.checker.scenario import load, scenario_files
from paraspec.model.config import ConfigError
from paraspec.model.core import Rejected
from paraspec.model.poa import POA_PRESETS, EndSession, PoaMachine, block_seconds
from paraspec.model.resilience import min_seconds_for_blocks, min_slots_for_blocks, target_seconds_for_blocks
from paraspec.properties.core import Kind

load_all()


# -- the block-period arithmetic ----------------------------------------------------------------------


def test_seed_block_period_figures():
    # 10 authorities, 6 s: 60 s for 10 blocks, at least 66 s with one offline, 72 s with two
    assert target_seconds_for_blocks(10, 6) == 60
    assert min_seconds_for_blocks(10, 10, 0, 6) == 60
    assert min_seconds_for_blocks(10, 10, 1, 6) == 66
    assert min_seconds_for_blocks(10, 10, 2, 6) == 72
    # after the offline one is removed: 9 authorities, 9 blocks in 9 slots
    assert min_seconds_for_blocks(9, 9, 0, 6) == target_seconds_for_blocks(9, 6) == 54
    assert block_seconds(0b1111111111, 0b0111111111, 6) == 66
    assert block_seconds(0b11, 0, 6) is None


def _brute_min_slots(blocks, n, k):
    """The least number of slots for ``blocks`` blocks over every rotation of the offline slots."""
    best = None
    for start in range(n):
        made, slots = 0, 0
        while made < blocks:
            if (start + slots) % n >= k:  # slots 0..k-1 of each cycle are the offline authorities'
                made += 1
            slots += 1
        best = slots if best is None else min(best, slots)
    return best


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 12), st.data())
def test_min_slots_matches_brute_force(n, data):
    k = data.draw(st.integers(0, n - 1))
    blocks = data.draw(st.integers(1, 3 * n))
    assert min_slots_for_blocks(blocks, n, k) == _brute_min_slots(blocks, n, k)


def test_z3_period_restored_and_degraded():
    """For every N and 0 < k < N: N blocks take at least N + k slots; with the k removed,
    N - k blocks take N - k slots (POA-9, POA-10)."""
    n, k = z3.Ints("n k")
    s = z3.Solver()
    s.add(n >= 2, k >= 1, k < n, n <= 64)
    s.add(z3.Not(z3.And(min_slots_for_blocks(n, n, k) >= n + k, min_slots_for_blocks(n - k, n - k, 0) == n - k)))
    assert s.check() == z3.unsat


# -- playbooks and configuration ----------------------------------------------------------------------


POA_SCENARIOS = scenario_files("poa_")


@pytest.mark.parametrize("path", POA_SCENARIOS, ids=[p.stem for p in POA_SCENARIOS])
def test_playbook(path):
    sc = load(path)
    assert sc.machine.config == POA_PRESETS["seed"]
    run = sc.run()
    assert run.ok, run.failures


def test_presets():
    assert build("poa", "seed").params.initial == 10
    assert build("poa").params.n_accounts == 3
    with pytest.raises(UsageError, match="its presets: tiny, small, seed"):
        build("poa", "polkadot")


@pytest.mark.parametrize("field,value", [("initial", 13), ("min_validators", 0), ("min_validators", 11),
                                         ("slot_seconds", 0), ("n_accounts", "3")])
def test_bad_config_names_the_field(field, value):
    with pytest.raises(ConfigError) as e:
        attrs.evolve(POA_PRESETS["seed"], **{field: value}).validate()
    assert e.value.field == field


# -- random walks -----------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["tiny", "small", "seed"]), st.lists(st.integers(0, 10_000), max_size=60))
def test_random_walks_keep_every_safety_property(preset, choices):
    m = build("poa", preset)
    props = properties_of("poa")
    s = next(iter(m.init()))
    for c in choices:
        acts = list(m.actions(s))
        a = acts[c % len(acts)]
        try:
            t = m.step(s, a)
        except Rejected as r:
            t = r
        for p in props:
            if p.kind == Kind.TRANSITION and (not p.on or isinstance(a, p.on)):
                assert p.predicate(m, s, a, t), (p.name, s, a, t)
        if isinstance(t, Rejected):
            assert t.rule_id.startswith("POA-")
            continue
        for p in props:
            if p.kind == Kind.ALWAYS:
                assert p.predicate(m, t), (p.name, t)
        s = t
    # a session end is always accepted and hands the list to the session
    t = m.step(s, EndSession())
    assert t.active == t.validators and t.heartbeats == 0

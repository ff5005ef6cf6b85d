"""Action spaces (``model/space.py``) and the limits that hold inside one state's expansion (issue 17,
defect 2: the ``polkadot`` preset offers about 2^110 inputs per state; ``--time-limit`` and
``--max-states`` never stopped the search, and simulation listed every input before drawing one)."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paraspec.checker.explicit import Checker
from paraspec.checker.registry import build, load_all, properties_of
from paraspec.checker.simulate import SAMPLE_ABOVE, simulate
from paraspec.model.availability import EndBlock
from paraspec.model.config import get_preset
from paraspec.model.core import Machine
from paraspec.model.space import Space, chain, space, submask


@given(st.integers(0, 2**12 - 1))
@settings(max_examples=60, deadline=None)
def test_submasks_in_increasing_order(mask):
    listed = [n for n in range(mask + 1) if n & ~mask == 0]
    assert [submask(mask, k) for k in range(1 << mask.bit_count())] == listed
    with pytest.raises(IndexError):
        submask(mask, 1 << mask.bit_count())


def test_a_chain_indexes_and_iterates_alike():
    s = chain([1, 2], Space(3, lambda k: 10 + k), (), space(x for x in "ab"))
    assert s.size == 7
    assert list(s) == [1, 2, 10, 11, 12, "a", "b"] == [s[k] for k in range(s.size)]
    with pytest.raises(IndexError):
        s[7]
    big = chain(Space(2**200, lambda k: k), ["last"])
    assert big.size == 2**200 + 1 and big[2**200] == "last" and big[2**199] == 2**199


def test_availability_inputs_are_the_listed_ones_in_the_same_order():
    """The EndBlock inputs are every note mask naming only paras under the exploration bound, in
    increasing order, as the generator listed them before."""
    load_all()
    m = build("availability", "tiny")
    bound = m.config.max_candidates
    todo, seen, at_bound = list(m.init()), set(), 0
    while todo and len(seen) < 400:
        s = todo.pop(0)
        if s in seen:
            continue
        seen.add(s)
        acts = m.actions(s)
        assert list(acts) == [acts[k] for k in range(acts.size)]
        notes = [a.note for a in acts if isinstance(a, EndBlock)]
        assert notes == [n for n in range(1 << m.config.n_parachains)
                         if all(not (n >> i) & 1 or p.noted < bound for i, p in enumerate(s.paras))]
        at_bound += any(p.noted >= bound for p in s.paras)
        todo += [t for t in (m.try_step(s, a) for a in acts) if not isinstance(t, Exception)]
    assert at_bound  # the bound was reached in some state checked


@attrs.frozen
class Pick:
    k: int


class Huge(Machine):
    """From state 0, 10^30 inputs, each to a state of its own; no input from there."""

    name = "huge"

    def init(self):
        yield 0

    def actions(self, s):
        return Space(10**30 if s == 0 else 0, Pick)

    def step(self, s, a):
        return a.k + 1


@pytest.mark.parametrize("workers", [1, 2])
def test_max_states_holds_inside_one_states_expansion(workers):
    r = Checker(Huge(get_preset("tiny"))).with_max_states(10).with_workers(workers).run()
    assert r.stopped == "max_states" and not r.complete
    assert r.states == 1  # the interrupted expansion is dropped: the state stays unexpanded


class Funnel(Huge):
    """From state 0, 10^30 inputs that all lead to state 1 (as the 2^100 bitfields of one polkadot
    validator lead to one state): the new states found never reach a limit above 2."""

    name = "funnel"

    def step(self, s, a):
        return 1


@pytest.mark.parametrize("workers", [1, 2])
def test_max_states_holds_when_many_inputs_lead_to_few_states(workers):
    r = Checker(Funnel(get_preset("tiny"))).with_max_states(10).with_workers(workers).run()
    assert r.stopped == "max_states" and not r.complete and r.states == 1


@pytest.mark.parametrize("workers", [1, 2])
def test_the_time_limit_holds_inside_one_states_expansion(workers):
    r = Checker(Huge(get_preset("tiny"))).with_time_limit(0.2).with_workers(workers).run()
    assert r.stopped == "time_limit" and not r.complete and r.states == 1


def test_simulation_draws_from_a_space_without_listing_it():
    r = simulate(Huge(get_preset("tiny")), [], seed=3, steps=5, walk_depth=1)
    assert r.transitions == 5 and r.states >= 2  # each walk drew one of 10^30 inputs


def test_polkadot_availability_is_checked_and_simulated():
    load_all()
    m = build("availability", "polkadot")
    assert m.actions(next(iter(m.init()))).size > SAMPLE_ABOVE
    props = properties_of("availability")
    r = simulate(m, props, seed=0, steps=10, walk_depth=10)
    assert r.error is None and r.transitions == 10
    r = Checker(m).with_properties(props).with_engine("explicit").with_time_limit(0.5).run()
    assert r.error is None and r.stopped == "time_limit"
    r = Checker(m).with_properties(props).with_engine("explicit").with_max_states(10).run()  # no time limit
    assert r.error is None and r.stopped == "max_states" and r.states < 10

"""Which permutations the availability machine's transitions preserve (spec AV-D6).

An automorphism of the transition graph that fixes the initial state maps the states
reachable within ``d`` steps onto themselves, so closure of that set is a necessary
condition for a symmetry reduction to be sound, and a state mapped outside it refutes
one. At ``trio`` (3 validators, 2 paras): swapping the paras keeps the set; a
transposition of validators does not (bitfields come in ascending validator order,
AV-3), which is why the machine declares no validator symmetry.
"""

from __future__ import annotations

import attrs

from paraspec.checker.registry import build, load_all
from paraspec.checker.symbolic.crosscheck import reachable_states

load_all()


def _swap_bits(v: int, i: int, j: int) -> int:
    bi, bj = (v >> i) & 1, (v >> j) & 1
    return (v & ~((1 << i) | (1 << j))) | (bi << j) | (bj << i)


def _states():
    m = build("availability", "trio")
    states = reachable_states(m, 7)
    assert len(states) > 1000
    return m, states, set(states)


def test_paras_are_interchangeable_and_validators_are_not():
    m, states, known = _states()
    assert m.symmetry is None  # no reduction is declared for this machine
    swapped = [attrs.evolve(s, paras=s.paras[::-1]) for s in states]
    assert all(t in known for t in swapped)
    assert any(t != s for s, t in zip(states, swapped))  # the swap moves states: the check has teeth
    outside = [s for s in states
               if attrs.evolve(s, paras=tuple(attrs.evolve(p, votes=_swap_bits(p.votes, 0, 1)) for p in s.paras))
               not in known]
    assert outside, "a validator transposition keeps the reachable states: AV-D6 should be revisited"

"""A block's bitfields at once (model.inclusion_block) equals applying them one by one."""

import random

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paraspec.checker.registry import build
from paraspec.model.availability import SignBitfield
from paraspec.model.core import Rejected
from paraspec.model.inclusion import Block, PendingAvailability
from paraspec.model.inclusion_block import process_bitfields


def sequential(m, s, bfs):
    """One bitfield at a time: the machine's step (its AV-1 .. AV-5 guards, then ``process_sign_bitfield``)."""
    for bf in bfs:
        s = m.step(s, bf)
    return s


def outcome(f, *args):
    try:
        return f(*args)
    except Rejected as r:
        return ("rejected", r.rule_id)


def pending_state(m, occupied, rng):
    s = next(iter(m.init()))
    n = m.config.n_validators
    cores = tuple(PendingAvailability(i, 1, rng.getrandbits(n), 0) if occupied[i] else None
                  for i in range(len(s.cores)))
    return attrs.evolve(s, cores=cores)


@pytest.mark.parametrize("reading", ["disregard", "bit", "reject"])
@given(st.integers(0, 2**32), st.integers(0, 12))
def test_block_equals_sequential_on_small_presets(reading, seed, k):
    rng = random.Random(seed)
    m = build("inclusion", "tiny", overrides={"free_core_bit": reading})
    n, c = m.config.n_validators, m.config.n_parachains
    s = pending_state(m, [rng.random() < 0.7 for _ in range(c)], rng)
    bfs = []
    for _ in range(k):
        v = rng.randrange(-1, n + 1)
        bfs.append(SignBitfield(v, rng.getrandbits(c + (rng.random() < 0.1)), c + (rng.random() < 0.05),
                                v if rng.random() < 0.95 else (v + 1) % n))
    if rng.random() < 0.7:
        bfs.sort(key=lambda b: b.validator)
    assert outcome(process_bitfields, m, s, bfs) == outcome(sequential, m, s, bfs)


def test_block_equals_sequential_at_polkadot_scale():
    rng = random.Random(7)
    m = build("inclusion", "polkadot")
    n, c = m.config.n_validators, m.config.n_parachains
    s = pending_state(m, [i % 10 != 0 for i in range(c)], rng)
    free = sum(1 << i for i in range(c) if s.cores[i] is None)
    bfs = [SignBitfield(v, rng.getrandbits(c) & ~free if v % 50 else rng.getrandbits(c), c, v) for v in range(n)]
    got = process_bitfields(m, s, bfs)
    assert got == sequential(m, s, bfs)
    assert m.process_block(got, Block(0)) == m.process_block(sequential(m, s, bfs), Block(0))

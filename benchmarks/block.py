"""Interpreter speed at Polkadot scale: one relay-chain block of availability bitfields.

1000 validators' signed bitfields over 100 cores (the ``polkadot`` preset: 100k bits),
on a state where 90 of the 100 cores hold a candidate pending availability, then the
block-level inclusion steps (``process_block``: enactment, timeouts, scheduling).
Four ways, all checked to give the same next state:

* ``per-bit loop``: the reference a straightforward interpreter would write: for every
  validator and every core, test the bit and add the validator to the core's votes;
* ``per-bitfield``: ``InclusionMachine.process_sign_bitfield`` folded over the block (the
  explorer's granularity: one record update per set bit);
* ``block``: ``model.inclusion_block.process_bitfields`` (the same checks, then the
  bit matrix transposed with numpy);
* ``process_block`` alone (enactment and timeouts of 100 cores).
"""

from __future__ import annotations

import random
import time

import attrs

from paraspec.checker.registry import build
from paraspec.model.availability import SignBitfield, check_bitfield
from paraspec.model.inclusion import Block, PendingAvailability
from paraspec.model.inclusion_block import process_bitfields


def _setup(seed: int = 1):
    rng = random.Random(seed)
    m = build("inclusion", "polkadot")
    n, c = m.config.n_validators, m.config.n_parachains
    s = next(iter(m.init()))
    cores = tuple(PendingAvailability(i, 1, 0, 0) if i % 10 else None for i in range(c))
    s = attrs.evolve(s, cores=cores)
    live = sum(1 << i for i in range(c) if cores[i] is not None)
    # each validator holds ~85% of the pieces of live candidates
    bfs = [SignBitfield(v, sum(1 << i for i in range(c) if (live >> i) & 1 and rng.random() < 0.85), c, v)
           for v in range(n)]
    return m, s, bfs


def per_bit_loop(m, s, bfs):
    n_cores = len(s.cores)
    votes = [0 if core is None else core.votes for core in s.cores]
    signed = s.signed
    for bf in bfs:
        check_bitfield(bf, m.config.n_validators, n_cores, signed)
        signed = bf.validator + 1
        if any((bf.bits >> i) & 1 and s.cores[i] is None for i in range(n_cores)):
            continue
        for i in range(n_cores):
            if (bf.bits >> i) & 1:
                votes[i] |= 1 << bf.validator
    cores = tuple(None if core is None else attrs.evolve(core, votes=votes[i]) for i, core in enumerate(s.cores))
    return attrs.evolve(s, cores=cores, signed=signed)


def per_bitfield(m, s, bfs):
    for bf in bfs:
        s = m.process_sign_bitfield(s, bf)
    return s


def _best(f, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def bench_block(repeat: int = 7) -> dict:
    m, s, bfs = _setup()
    a = per_bit_loop(m, s, bfs)
    b = per_bitfield(m, s, bfs)
    c = process_bitfields(m, s, bfs)
    assert a == b == c, "the three ways of applying a block disagree"
    after = m.process_block(c, Block(0))
    enacted = sum(1 for x, y in zip(c.cores, after.cores) if x is not None and y is None)
    out = {
        "validators": m.config.n_validators,
        "cores": m.config.n_parachains,
        "bits": m.config.n_validators * m.config.n_parachains,
        "enacted": enacted,
        "per_bit_loop_ms": 1000 * _best(lambda: per_bit_loop(m, s, bfs), repeat),
        "per_bitfield_ms": 1000 * _best(lambda: per_bitfield(m, s, bfs), max(2, repeat // 2)),
        "block_bitfields_ms": 1000 * _best(lambda: process_bitfields(m, s, bfs), repeat),
        "process_block_ms": 1000 * _best(lambda: m.process_block(c, Block(0)), repeat),
    }
    out["block_total_ms"] = out["block_bitfields_ms"] + out["process_block_ms"]
    return out


if __name__ == "__main__":  # pragma: no cover
    import json

    print(json.dumps(bench_block(), indent=2))

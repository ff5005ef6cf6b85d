"""A whole block's bitfields at once: ``process_bitfields`` at Polkadot scale.

:meth:`model.inclusion.InclusionMachine.step` applies one signed bitfield (its guards, then
``process_sign_bitfield``: the explorer's granularity, INC-D2). A relay-chain block carries up to one bitfield
per validator: 1000 validators × 100 cores at the ``polkadot`` preset, 100k bits.
:func:`process_bitfields` applies a block's bitfields in one pass with the same rules
and the same result as stepping the machine by each in order (the test-suite
checks the equality on random blocks):

* every bitfield goes through the one implementation of the structural checks,
  :func:`model.availability.check_bitfield` (AV-1 .. AV-4, strictly ascending
  validators), and the AV-5 free-core rule as a mask test;
* the accepted bitfields' bits are then transposed to per-core vote masks (the bit
  matrix validators × cores turned into cores × validators with numpy) and OR-ed into
  each pending candidate's votes (AV-9), instead of one record update per set bit.

A rejected bitfield rejects the block (``Rejected``), as in the per-bitfield path.
"""

from __future__ import annotations

from typing import Sequence

import attrs

from .availability import SignBitfield, check_bitfield
from .core import Rejected
from .inclusion import InclusionMachine, InclusionState

__all__ = ["process_bitfields", "transpose_votes"]


def transpose_votes(validators: Sequence[int], bits: Sequence[int], n_validators: int, n_cores: int) -> list[int]:
    """Per core, the mask of the validators whose bitfield sets the core's bit."""
    if not validators:
        return [0] * n_cores
    import numpy as np

    nbytes = (n_cores + 7) // 8
    raw = b"".join(b.to_bytes(nbytes, "little") for b in bits)
    m = np.unpackbits(np.frombuffer(raw, dtype=np.uint8).reshape(len(bits), nbytes), axis=1,
                      bitorder="little")[:, :n_cores]
    per_core = np.zeros((n_cores, n_validators), dtype=np.uint8)
    per_core[:, np.asarray(validators, dtype=np.int64)] = m.T
    packed = np.packbits(per_core, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def process_bitfields(machine: InclusionMachine, state: InclusionState,
                      bitfields: Sequence[SignBitfield]) -> InclusionState:
    """Apply a block's bitfields (in the order given); raises Rejected like the
    per-bitfield path would on the first bad one."""
    cfg = machine.config
    n_cores = len(state.cores)
    free = 0
    for i, core in enumerate(state.cores):
        if core is None:
            free |= 1 << i
    signed = state.signed
    vals: list[int] = []
    bits: list[int] = []
    reject = cfg.free_core_bit == "reject"
    for bf in bitfields:
        check_bitfield(bf, cfg.n_validators, n_cores, signed)
        signed = bf.validator + 1
        counted = bf.bits
        if bf.bits & free:  # AV-5: a bit for a free core
            if reject:
                i = (bf.bits & free & -(bf.bits & free)).bit_length() - 1
                raise Rejected("AV-5", f"bit {i} set for a free core")
            if cfg.free_core_bit != "bit":
                continue  # disregarded
            counted = bf.bits & ~free  # that bit alone ignored
        vals.append(bf.validator)
        bits.append(counted)
    masks = transpose_votes(vals, bits, cfg.n_validators, n_cores)
    cores = tuple(core if core is None or not masks[i] else attrs.evolve(core, votes=core.votes | masks[i])
                  for i, core in enumerate(state.cores))
    return attrs.evolve(state, cores=cores, signed=signed)

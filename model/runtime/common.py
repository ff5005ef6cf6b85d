"""Small immutable helpers shared by the runtime modules.

* ``FMap``: a map stored as a tuple of ``(key, value)`` pairs sorted by key, so a
  module's storage is a hashable, canonical value (two equal maps are the same
  tuple). The maps of the runtime are small (one entry per para or per validator),
  so the operations are linear.
* :func:`compute_shuffle`: the seeded shuffle of the scheduler (SCH-2). Randomness
  is a deterministic function of the session's random seed, so every implementation
  that follows the spec computes the same groups from the same seed.
"""

from __future__ import annotations

import bisect
import hashlib
from typing import Any, Iterable

import attrs

from ..rules import implements

__all__ = [
    "FMap",
    "mget",
    "mset",
    "mdel",
    "mhas",
    "mkeys",
    "fmap",
    "compute_shuffle",
    "seed_word",
    "replace",
]

FMap = tuple  # tuple[tuple[K, V], ...], sorted by K, keys unique

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def replace(inst: Any, **changes: Any) -> Any:
    """``attrs.evolve`` for the runtime's records, without its per-call introspection
    (the explorer calls it hundreds of thousands of times)."""
    cls = inst.__class__
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in attrs.fields(cls))
    return cls(*[changes[n] if n in changes else getattr(inst, n) for n in names])


def fmap(pairs: Iterable[tuple[Any, Any]]) -> FMap:
    """An FMap from pairs (a later pair wins for a repeated key)."""
    d = dict(pairs)
    return tuple(sorted(d.items(), key=lambda kv: kv[0]))


def _key(kv):
    return kv[0]


def _find(m: FMap, key: Any) -> int:
    return bisect.bisect_left(m, key, key=_key)


def mget(m: FMap, key: Any, default: Any = None) -> Any:
    i = _find(m, key)
    if i < len(m) and m[i][0] == key:
        return m[i][1]
    return default


def mhas(m: FMap, key: Any) -> bool:
    i = _find(m, key)
    return i < len(m) and m[i][0] == key


def mset(m: FMap, key: Any, value: Any) -> FMap:
    i = _find(m, key)
    if i < len(m) and m[i][0] == key:
        return m[:i] + ((key, value),) + m[i + 1:]
    return m[:i] + ((key, value),) + m[i:]


def mdel(m: FMap, key: Any) -> FMap:
    i = _find(m, key)
    if i < len(m) and m[i][0] == key:
        return m[:i] + m[i + 1:]
    return m


def mkeys(m: FMap) -> tuple:
    return tuple(k for k, _ in m)


def seed_word(seed: int, i: int) -> int:
    """The i-th 64-bit word drawn from ``seed``: BLAKE2b-64 of ``"<seed>:<i>"``."""
    h = hashlib.blake2b(f"{seed}:{i}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "little")


@implements("SCH-2")
def compute_shuffle(n: int, seed: int) -> tuple[int, ...]:
    """A permutation of ``range(n)`` determined by ``seed`` (SCH-2).

    Fisher–Yates from the last position down: position ``i`` swaps with
    ``seed_word(seed, i) mod (i + 1)``. (polkadot-sdk draws from ChaCha20 seeded with
    the BABE randomness; the spec fixes this simpler generator, decision SCH-D6.)
    """
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = seed_word(seed, i) % (i + 1)
        order[i], order[j] = order[j], order[i]
    return tuple(order)

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
import operator
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

#: class -> (a getter of every field, as a tuple; field name -> position)
_FIELD_PLANS: dict[type, tuple[Any, dict[str, int]]] = {}


def replace(inst: Any, **changes: Any) -> Any:
    """``attrs.evolve`` for the runtime's records, without its per-call introspection
    (the explorer calls it hundreds of thousands of times): the fields are read by one
    ``attrgetter`` built once per class, and only the changed ones are looked up by name."""
    cls = inst.__class__
    plan = _FIELD_PLANS.get(cls)
    if plan is None:
        names = tuple(f.name for f in attrs.fields(cls))
        getter = operator.attrgetter(*names) if len(names) > 1 else (lambda x, ns=names: tuple(getattr(x, n) for n in ns))
        plan = _FIELD_PLANS[cls] = (getter, {n: k for k, n in enumerate(names)})
    getter, pos = plan
    vals = list(getter(inst))
    for n, v in changes.items():
        k = pos.get(n)
        if k is None:  # as attrs.evolve: a name that is not a field is a model bug, never a silent no-op
            raise TypeError(f"{cls.__name__} has no field {n!r}")
        vals[k] = v
    return cls(*vals)


def fmap(pairs: Iterable[tuple[Any, Any]]) -> FMap:
    """An FMap from pairs (a later pair wins for a repeated key)."""
    d = dict(pairs)
    return tuple(sorted(d.items(), key=lambda kv: kv[0]))


def _key(kv):
    return kv[0]


def _find(m: FMap, key: Any) -> int:
    return bisect.bisect_left(m, key, key=_key)


def mget(m: FMap, key: Any, default: Any = None) -> Any:
    if len(m) <= 8:  # a short map (most of them): a scan, without a key function call per probe
        for k, v in m:
            if k == key:
                return v
        return default
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

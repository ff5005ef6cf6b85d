"""Validator groups: partition of the validators over the availability cores.

[IG §2.5.5]: with V validators and N groups, the first ``V mod N`` groups have
``V // N + 1`` members and the others ``V // N`` (rule SCH-3 in ``spec/``). The
partition is taken over an ordered list of validators: the identity order here, a
seeded shuffle in the scheduler of the composed runtime.
"""

from __future__ import annotations

from typing import Any, Sequence

from .logic import div, ite, mod

__all__ = ["group_size", "partition", "group_of_core"]


def group_size(n_validators: Any, n_groups: Any, g: Any) -> Any:
    """Size of group ``g`` (works on ints and Z3 terms)."""
    base = div(n_validators, n_groups)
    return ite(g < mod(n_validators, n_groups), base + 1, base)


def partition(validators: Sequence[int], n_groups: int) -> tuple[tuple[int, ...], ...]:
    """Split ``validators`` (in the given order) into ``n_groups`` contiguous groups."""
    groups = []
    start = 0
    for g in range(n_groups):
        size = group_size(len(validators), n_groups, g)
        groups.append(tuple(validators[start:start + size]))
        start += size
    return tuple(groups)


def group_of_core(core: Any, rotations: Any, n_cores: Any) -> Any:
    """The group on ``core`` after ``rotations`` rotations: ``(core + k) mod n``.

    polkadot-sdk states the relation per core; the seed states it per group ("group i
    is on core (i + k) mod n"). Both describe a rotation by k; this module follows
    the per-core form, and ``checker.symbolic`` proves it is a bijection for every k.
    """
    return mod(core + rotations, n_cores)

"""Symmetry declarations: which sets of a machine's state are interchangeable.

A machine may set ``self.symmetry`` to a :class:`Symmetry`; the explicit and the
vectorized engines then explore one representative per orbit (``checker.symmetry``).
A machine without it is explored state by state, as before. Pure data: no engine here.
"""

from __future__ import annotations

import attrs

__all__ = ["Symmetry"]


@attrs.frozen
class Symmetry:
    """A machine's declaration of interchangeable sets (used by ``checker.symmetry``).

    ``validator_masks``: state fields holding bitmasks over the validators (an int, or
    a tuple of ints); permuting the validators permutes the bits of every such mask
    alike. ``para_fields``: state fields that are tuples indexed by core/para;
    permuting the cores permutes every such tuple alike. ``validator_args`` and
    ``para_args``: the action fields naming a validator / a core. The declaration
    promises that the transition relation and every property are invariant under
    these permutations (validators and cores appear nowhere else in the state).
    """

    validator_masks: tuple[str, ...] = ()
    n_validators: int = 0
    para_fields: tuple[str, ...] = ()
    n_paras: int = 0
    validator_args: tuple[tuple[type, str], ...] = ()
    para_args: tuple[tuple[type, str], ...] = ()

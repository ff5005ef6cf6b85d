"""Selectors of the ``availability`` machine (``paraspec.model.queries``).

``not_voted(para)``: the validators whose bit the para's current candidate lacks;
``may_sign``: the validators that may still put a bitfield in the current block (AV-3:
one per validator, in validator order, so those from ``signed`` on).
"""

from __future__ import annotations

from .queries import selector


@selector("availability", "not_voted", params=("para",))
def _not_voted(m, state, para: int) -> tuple[int, ...]:
    """The validators whose availability vote the para's current candidate lacks."""
    if not 0 <= para < len(state.paras):
        return ()
    votes = state.paras[para].votes
    return tuple(v for v in range(m.config.n_validators) if not votes >> v & 1)


@selector("availability", "may_sign")
def _may_sign(m, state) -> tuple[int, ...]:
    """The validators that may still sign a bitfield in the current block (AV-3)."""
    return tuple(range(state.signed, m.config.n_validators))

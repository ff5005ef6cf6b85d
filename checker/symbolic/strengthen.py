"""Strengthening invariants for k-induction.

Some machine properties are invariants of the reachable states but not k-inductive
for a small k: an unreachable state can satisfy them and still step to a violation.
k-induction then needs a stronger invariant that excludes such states. These
auxiliary invariants are stated here, per machine, as Python predicates on a state
(evaluated symbolically like the properties); ``paraspec prove`` proves them together
with the properties (they must hold in every reachable state, and the base case
checks that), and reports which proofs used them. The test-suite also checks each one
on every state the explicit engine reaches.
"""

from __future__ import annotations

from typing import Callable

import attrs

from paraspec.model.availability import Status
from paraspec.model.inclusion import Stage

__all__ = ["AUX", "aux_for", "Aux"]


@attrs.frozen
class Aux:
    name: str
    fn: Callable = attrs.field(repr=False)
    doc: str = ""


def serials_consistent(m, s) -> bool:
    """availability: a para's outcome bits name only candidates noted so far; the candidate
    to be determined has no outcome yet, an available one is enacted, an unavailable one
    timed out."""
    for p in s.paras:
        seen = p.enacted | p.timed_out
        if seen >= (1 << p.noted):
            return False
        if p.status != Status.NO_CANDIDATE:
            if p.noted < 1:
                return False
            bit = 1 << (p.noted - 1)
            if p.status == Status.TO_BE_DETERMINED and seen & bit:
                return False
            if p.status == Status.AVAILABLE and (not p.enacted & bit or p.timed_out & bit):
                return False
            if p.status == Status.UNAVAILABLE and (not p.timed_out & bit or p.enacted & bit):
                return False
    return True


def stage_matches_statements(m, s) -> bool:
    """inclusion: a candidate is at stage backable exactly when its statements back it; only
    seconded or backable candidates carry statements."""
    for para, pp in enumerate(s.paras):
        if pp.stage == Stage.SECONDED or pp.stage == Stage.BACKABLE:
            if pp.statements == 0:
                return False
            if (pp.stage == Stage.BACKABLE) != bool(m.is_backable(pp.statements, para)):
                return False
        elif pp.statements != 0:
            return False
    return True


#: machine name -> auxiliary invariants
AUX: dict[str, list[Aux]] = {
    "availability": [Aux("serials_consistent", serials_consistent, " ".join(serials_consistent.__doc__.split()))],
    "inclusion": [Aux("stage_matches_statements", stage_matches_statements,
                      " ".join(stage_matches_statements.__doc__.split()))],
}


def aux_for(machine_name: str) -> list[Aux]:
    return list(AUX.get(machine_name, []))

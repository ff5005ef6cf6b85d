"""INC-9 (the inherent's order) as a transition property, and the mutant that breaks it.

Before this, INC-9 was named only by a reachability property, so no mutant showed
that the order is checked, and the conformance vectors had no negative case for it.
"""

from __future__ import annotations

from paraspec.model.core import Rejected
from paraspec.model.inclusion import Block, InclusionMachine, Stage

from .core import mutant, transition

M = "inclusion"


def _freed(m, s) -> set[int]:
    """Cores whose pending candidate leaves them in the next block (enacted or timed out)."""
    return {i for i, c in enumerate(s.cores)
            if c is not None and (m.is_available(c.votes) or m.is_timed_out(c.age + 1))}


@transition(M, ["INC-9", "INC-5"], on=[Block], witness=lambda m, s, a, t: bool(_freed(m, s)))
def freed_core_reusable_in_same_block(m, s, a, t):
    """A block that frees a para's core (enactment or timeout) may occupy it again with
    the para's next backed candidate: availability and timeouts are processed before
    backed candidates, so such a block is never rejected for the core (INC-5)."""
    if not (isinstance(t, Rejected) and t.rule_id == "INC-5"):
        return True
    if not 0 <= a.backed < (1 << len(s.paras)):
        return True  # the mask names no para
    # the rejection is right only if some backed candidate's core stays occupied
    free_after = {i for i, c in enumerate(s.cores) if c is None} | _freed(m, s)
    return any((a.backed >> p) & 1 and s.paras[p].stage == Stage.BACKABLE and m.core_of(p) not in free_after
               for p in range(len(s.paras)))


@mutant(M, "inc_candidates_before_availability", kills=["freed_core_reusable_in_same_block"])
class CandidatesBeforeAvailability(InclusionMachine):
    """Backed candidates are checked against the cores as they were before enactment and
    timeouts, so a core freed in the block cannot be occupied again in it."""

    def process_block(self, state, a):
        for p in range(len(state.paras)):
            if (a.backed >> p) & 1 and state.paras[p].stage == Stage.BACKABLE \
                    and state.cores[self.core_of(p)] is not None:
                raise Rejected("INC-5", f"core {self.core_of(p)} of para {p} is occupied")
        return super().process_block(state, a)

"""INC-9 (the inherent's order) as a transition property, and the mutant that breaks it.

Before this, INC-9 was named only by a reachability property, so no mutant showed
that the order is checked, and the conformance vectors had no negative case for it.
"""

from __future__ import annotations

from paraspec.model.core import Rejected
from paraspec.model.inclusion import Block, InclusionMachine, Stage
from paraspec.model.logic import And, Not, Or, is_present

from .core import mutant, transition, vectorized

M = "inclusion"


def _freed(m, s, c):
    """Core ``c``'s pending candidate leaves it in the next block (enacted or timed out)."""
    return And(is_present(c), Or(m.is_available(c.votes), m.is_timed_out(c.age + 1)))


@vectorized
def _frees_a_core(m, s, a, t):
    return Or(*[_freed(m, s, c) for c in s.cores if c is not None])


@transition(M, ["INC-9", "INC-5"], on=[Block], witness=_frees_a_core)
@vectorized
def freed_core_reusable_in_same_block(m, s, a, t):
    """A block that frees a para's core (enactment or timeout) may occupy it again with
    the para's next backed candidate: availability and timeouts are processed before
    backed candidates, so such a block is never rejected for the core (INC-5)."""
    if not (isinstance(t, Rejected) and t.rule_id == "INC-5"):
        return True
    if not 0 <= a.backed < (1 << len(s.paras)):
        return True  # the mask names no para
    # the rejection is right only if some backed candidate's core stays occupied
    free_after = [True if c is None else Or(Not(is_present(c)), _freed(m, s, c)) for c in s.cores]
    return Or(*[And(s.paras[p].stage == Stage.BACKABLE, Not(free_after[m.core_of(p)]))
                for p in range(len(s.paras)) if (a.backed >> p) & 1])


@mutant(M, "inc_candidates_before_availability", kills=["freed_core_reusable_in_same_block"])
class CandidatesBeforeAvailability(InclusionMachine):
    """Backed candidates are checked against the cores as they were before enactment and
    timeouts, so a core freed in the block cannot be occupied again in it."""

    def rule_guards(self, state, a):
        if isinstance(a, Block):
            for p in range(len(state.paras)):
                if (a.backed >> p) & 1:
                    core = state.cores[self.core_of(p)]
                    yield Not(And(state.paras[p].stage == Stage.BACKABLE, is_present(core))), "INC-5", \
                        f"core {self.core_of(p)} of para {p} is occupied"
        yield from super().rule_guards(state, a)

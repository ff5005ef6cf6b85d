"""Liveness of the ``inclusion`` machine (spec/inclusion.md, INC-2, INC-7, INC-8).

Decided on the explored graph by ``checker.liveness`` under weak fairness of
``Block`` (the relay chain keeps producing blocks; the machine's ``fairness``).
"""

from __future__ import annotations

from paraspec.model.inclusion import InclusionMachine
from paraspec.model.logic import And, Not, is_present, opt_ite, opt_map

from .core import leads_to, mutant, vectorized

M = "inclusion"


def _cores(m):
    return list(range(m.config.n_parachains))


@vectorized
def _core_free(m, s, c):
    return Not(is_present(s.cores[c]))


@leads_to(M, ["INC-2", "INC-7", "INC-8"], goal=_core_free, over=_cores)
@vectorized
def backed_candidate_enacted_or_timed_out(m, s, c):
    """Every backed candidate (pending availability on a core) is eventually enacted or
    timed out, freeing its core, as long as relay-chain blocks keep coming."""
    return is_present(s.cores[c])


@mutant(M, "inc_unvoted_never_ages", kills=["backed_candidate_enacted_or_timed_out"],
        overrides={"max_candidates": 1})
class UnvotedNeverAges(InclusionMachine):
    """A pending candidate nobody has voted for does not age, so it never times out and
    blocks its core forever (a lasso: blocks keep coming, the candidate stays)."""

    def process_block(self, state, a):
        nxt = super().process_block(state, a)
        cores = []
        for old, new in zip(state.cores, nxt.cores):
            if old is not None and new is not None:
                same = And(is_present(old), is_present(new), old.votes == 0, new.para == old.para,
                           new.serial == old.serial)
                new = opt_ite(same, opt_map(new, lambda c, old=old: c.__class__(c.para, c.serial, c.votes, old.age)),
                              new)
            cores.append(new)
        return nxt.__class__(nxt.paras, tuple(cores), nxt.signed, nxt.exits, nxt.last_exit)

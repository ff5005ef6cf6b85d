"""Liveness of the ``inclusion`` machine (spec/inclusion.md, INC-2, INC-7, INC-8).

Decided on the explored graph by ``checker.liveness`` under weak fairness of
``Block`` (the relay chain keeps producing blocks; the machine's ``fairness``).
"""

from __future__ import annotations

import attrs

from paraspec.model.inclusion import InclusionMachine

from .core import leads_to, mutant

M = "inclusion"


def _cores(m):
    return list(range(m.config.n_parachains))


def _core_free(m, s, c):
    return s.cores[c] is None


@leads_to(M, ["INC-2", "INC-7", "INC-8"], goal=_core_free, over=_cores)
def backed_candidate_enacted_or_timed_out(m, s, c):
    """Every backed candidate (pending availability on a core) is eventually enacted or
    timed out, freeing its core, as long as relay-chain blocks keep coming."""
    return s.cores[c] is not None


@mutant(M, "inc_unvoted_never_ages", kills=["backed_candidate_enacted_or_timed_out"],
        overrides={"max_candidates": 1})
class UnvotedNeverAges(InclusionMachine):
    """A pending candidate nobody has voted for does not age, so it never times out and
    blocks its core forever (a lasso: blocks keep coming, the candidate stays)."""

    def process_block(self, state, a):
        nxt = super().process_block(state, a)
        cores = tuple(attrs.evolve(new, age=old.age) if old is not None and new is not None and old.votes == 0
                      and new.para == old.para and new.serial == old.serial else new
                      for old, new in zip(state.cores, nxt.cores))
        return attrs.evolve(nxt, cores=cores)

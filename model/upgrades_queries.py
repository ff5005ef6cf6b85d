"""Queries of the ``upgrades`` and ``disputes`` machines (``paraspec.model.queries``),
after polkadot-sdk's ``ParachainHost`` runtime API.

* ``upgrades``: ``pvfs_require_precheck`` (the codes whose PVF pre-checking vote is
  open: the new-path upgrade in phase PRECHECK), ``validation_code`` (the para's
  current code) and ``not_voted`` (the validators with no pre-checking ballot yet in
  the current session);
* ``disputes``: ``disputes`` (one entry per fork whose dispute record for the
  candidate is not NONE: the phase, kind and the validators for and against) and
  ``not_voted(fork)`` (the validators with no vote in it).
"""

from __future__ import annotations

from typing import Any

from .disputes import Phase as DisputePhase
from .queries import query, selector
from .upgrades import Phase


@query("upgrades", "pvfs_require_precheck", sdk="pvfs_require_precheck")
def _pvfs_require_precheck(m, state) -> list[int]:
    """The codes awaiting PVF pre-checking votes."""
    up = state.upgrade
    return [up.code] if up is not None and up.phase == Phase.PRECHECK else []


@query("upgrades", "validation_code", sdk="validation_code")
def _upgrades_validation_code(m, state) -> int:
    """The para's current validation code."""
    return state.current


@selector("upgrades", "not_voted")
def _precheck_not_voted(m, state) -> tuple[int, ...]:
    """The validators with no pre-checking ballot in the current session (none while no vote is open)."""
    up = state.upgrade
    if up is None or up.phase != Phase.PRECHECK:
        return ()
    voted = up.accepts | up.rejects
    return tuple(v for v in range(len(state.holdings)) if not voted >> v & 1)


@query("disputes", "disputes", sdk="disputes")
def _disputes(m, state) -> list[dict[str, Any]]:
    """The dispute records of the candidate, per fork, where a dispute exists."""
    n = m.config.n_validators
    return [{"fork": i, "phase": r.phase.name, "kind": r.kind.name,
             "validators_for": [v for v in range(n) if r.votes_for >> v & 1],
             "validators_against": [v for v in range(n) if r.votes_against >> v & 1]}
            for i, r in enumerate(state.records) if r.phase != DisputePhase.NONE]


@selector("disputes", "not_voted", params=("fork",))
def _dispute_not_voted(m, state, fork: int) -> tuple[int, ...]:
    """The validators with no vote in the dispute on ``fork``."""
    if not 0 <= fork < len(state.records):
        return ()
    r = state.records[fork]
    return tuple(v for v in range(m.config.n_validators) if not (r.votes_for | r.votes_against) >> v & 1)

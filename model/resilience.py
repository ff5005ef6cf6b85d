"""Threshold and timing arithmetic of the three recovery seeds (002, 004, 000).

Like :mod:`model.thresholds`, every function here is plain arithmetic built from
``+ - * < <= > >=`` and the connectives of :mod:`model.logic`, so the same text
evaluates on Python ints (the machines ``halts``, ``poa`` and ``rescue`` call these
functions; they are the interpreter's rules) and on Z3 integer terms (a symbolic
engine proves the lemmas stated in the docstrings for every size). No rule below is
re-derived inline anywhere else.

* Halts and recovery ([HALT], ``spec/halts.md``): the BFT quorum, the committee size
  the seed's numbers imply, the soft-stall criteria, the hard-halt thresholds, the
  7-of-12 multisig, the 30-day emergency limit, the one-epoch rollback window.
* Self-healing proof of authority ([POA], ``spec/poa.md``): the minimum set size
  and the block-period arithmetic (10 authorities, 6 s, one offline: 10 blocks take at
  least 66 s).
* Parachain rescue ([RESCUE], ``spec/rescue.md``): the stall condition and the
  rescue authority's thresholds.
"""

from __future__ import annotations

from typing import Any

from .logic import And, Not, Or, div, ite, max_, mod
from .rules import implements
from .thresholds import has_halt_quorum

__all__ = [
    # [HALT]
    "derive_committee_size",
    "is_soft_stall_condition",
    "is_recovered",
    "is_state_root_divergence",
    "is_equivocation_cluster",
    "is_multisig_approved",
    "is_emergency_expired",
    "emergency_timer_after",
    "is_escalated",
    "compute_finality_floor",
    "is_within_rollback_window",
    "is_dkg_partial_halt",
    "is_epoch_boundary",
    # [POA]
    "may_shrink_to",
    "min_slots_for_blocks",
    "min_seconds_for_blocks",
    "target_seconds_for_blocks",
    # [RESCUE]
    "is_para_stalled",
    "is_collator_threshold_met",
    "is_token_threshold_met",
]


# -- [HALT]: halts, the rollback window ---------------------------------------------------


# The certificate quorum of a committee of ``n`` (HLT-3) is the BFT quorum ``n - f`` of
# :func:`model.thresholds.halt_quorum` (TH-15; ``2f + 1`` when ``n = 3f + 1``, 85 for the
# derived committee of 127, HLT-D1); ``has_halt_quorum`` tests it. They are used here,
# never restated.


def derive_committee_size(quorum: Any, stall_offline: Any) -> Any:
    """HLT-D1: the committee size ``n`` for which ``stall_offline`` members offline is
    the least number that stalls the chain: ``n - (stall_offline - 1) >= quorum`` and
    ``n - stall_offline < quorum`` give ``n = quorum + stall_offline - 1``.
    For the seed (quorum 85, 43 offline) ``n = 127 = 3·42 + 1``, and indeed
    ``halt_quorum(127) == 85``."""
    return quorum + stall_offline - 1


@implements("HLT-2")
def is_soft_stall_condition(idle_rounds: Any, active: Any, n: Any, stall_rounds: Any) -> Any:
    """HLT-2: the soft-stall detection criteria of [HALT], any one of which suffices:

    * no commit for more than ``stall_rounds`` rounds, and, the same in this abstraction
      (HLT-D3), fewer than a quorum of vertices certified over the last K rounds: a round
      certifies a quorum exactly when it commits, and K is taken equal to ``stall_rounds``;
    * the active committee count below the quorum (HLT-D2): detected in the round it
      happens.
    """
    return Or(idle_rounds > stall_rounds, Not(has_halt_quorum(active, n)))


@implements("HLT-11")
def is_recovered(active: Any, connected: Any, n: Any) -> Any:
    """HLT-11: the conditions of a soft stall have cleared: a connected quorum is back."""
    return And(connected, has_halt_quorum(active, n))


@implements("HLT-4")
def is_state_root_divergence(distinct_roots: Any) -> Any:
    """HLT-4: two or more signed, contradictory state roots for one commit."""
    return distinct_roots >= 2


@implements("HLT-4")
def is_equivocation_cluster(equivocators: Any, cluster: Any) -> Any:
    """HLT-4: ``cluster`` (seed: 10) or more validators equivocated in one epoch."""
    return equivocators >= cluster


@implements("HLT-5")
def is_multisig_approved(signers: Any, threshold: Any, size: Any) -> Any:
    """HLT-5: a governance message carries at least ``threshold`` of the ``size``
    multisig members' signatures (seed: 7 of 12). More signatures than members is not
    a valid message."""
    return And(signers >= threshold, signers <= size)


@implements("HLT-6")
def is_emergency_expired(elapsed: Any, limit: Any) -> Any:
    """HLT-6: an emergency halt that has lasted ``limit`` (seed: 30 days) is over."""
    return elapsed >= limit


@implements("HLT-6")
def emergency_timer_after(elapsed: Any, rounds: Any, limit: Any) -> Any:
    """HLT-6: the emergency timer after ``rounds`` more rounds, saturating at the limit
    (the halt lapses there, so the timer never needs to count beyond it)."""
    t = elapsed + rounds
    return ite(t >= limit, limit, t)


@implements("HLT-12")
def is_escalated(stall_time: Any, escalation_rounds: Any) -> Any:
    """HLT-12: a soft stall that has lasted more than ``escalation_rounds`` (seed: one
    hour) is escalated."""
    return stall_time > escalation_rounds


@implements("HLT-17")
def compute_finality_floor(floor: Any, height: Any, epoch_length: Any) -> Any:
    """HLT-17: the lowest height a rollback may return to. A commit becomes
    irreversible once a full epoch of commits is built on it, so after reaching
    ``height`` the floor is at least ``height - epoch_length``; it never decreases."""
    return max_(floor, height - epoch_length)


@implements("HLT-17")
def is_within_rollback_window(target: Any, floor: Any, height: Any) -> Any:
    """HLT-17: a rollback target is at or above the floor (at most one epoch back) and
    below the tip (there is something to roll back)."""
    return And(floor <= target, target < height)


@implements("HLT-21")
def is_dkg_partial_halt(consecutive_failures: Any, limit: Any) -> Any:
    """HLT-21: more than ``limit`` (seed: 3) consecutive failed DKG rounds disable
    encryption for the rest of the epoch."""
    return consecutive_failures > limit


@implements("HLT-21")
def is_epoch_boundary(height: Any, epoch_length: Any) -> Any:
    """HLT-21: the commit at ``height`` starts a new epoch (epochs are counted in
    commits, HLT-D4)."""
    return mod(height, epoch_length) == 0


# -- [POA]: the self-healing PoA validator set ---------------------------------------------


@implements("POA-8")
def may_shrink_to(count_after: Any, minimum: Any) -> Any:
    """POA-8: a removal may leave ``count_after`` validators only if that is at least the
    minimum set size."""
    return count_after >= minimum


@implements("POA-9")
def min_slots_for_blocks(blocks: Any, authorities: Any, offline: Any) -> Any:
    """POA-9: the fewest slots in which ``blocks`` blocks (``blocks >= 1``) are authored by
    a round robin of ``authorities`` slots per cycle of which ``offline`` authorities
    (``offline < authorities``) author nothing: each cycle yields ``authorities -
    offline`` blocks, and every cycle boundary crossed costs the ``offline`` empty slots
    (best alignment: the empty slots last in the cycle)::

        blocks + offline * (ceil(blocks / (authorities - offline)) - 1)

    10 authorities, one offline: 10 blocks need 11 slots; two offline: 12 slots."""
    online = authorities - offline
    cycles = div(blocks + online - 1, online)
    return blocks + offline * (cycles - 1)


@implements("POA-9")
def min_seconds_for_blocks(blocks: Any, authorities: Any, offline: Any, slot_seconds: Any) -> Any:
    """POA-9: the least time ``blocks`` blocks take: [POA]'s 66 s for 10 blocks with 10
    authorities of 6 s slots and one offline (72 s with two)."""
    return slot_seconds * min_slots_for_blocks(blocks, authorities, offline)


@implements("POA-10")
def target_seconds_for_blocks(blocks: Any, slot_seconds: Any) -> Any:
    """POA-10: the target: one block per slot (60 s for 10 blocks of 6 s)."""
    return slot_seconds * blocks


# -- [RESCUE]: parachain rescue ------------------------------------------------------------------


@implements("RSC-3")
def is_para_stalled(minutes_since_block: Any, stall_minutes: Any) -> Any:
    """RSC-3: no para block for more than ``stall_minutes`` (the seed's X) minutes."""
    return minutes_since_block > stall_minutes


@implements("RSC-9")
def is_collator_threshold_met(votes: Any, collators: Any) -> Any:
    """RSC-9: at least 3/4 of the para's collator set (the seed's "3/4 of the collator
    set"); a para with no collators has no collator authority."""
    return And(collators > 0, 4 * votes >= 3 * collators)


@implements("RSC-9")
def is_token_threshold_met(votes: Any, electorate: Any) -> Any:
    """RSC-9: more than half of the token-holder vote weight (RSC-D2)."""
    return 2 * votes > electorate

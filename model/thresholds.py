"""Threshold arithmetic: the one place where quorum rules are written.

Every function here is plain arithmetic built from ``+ - * < <= >`` and
:func:`model.logic.div`, so the same expression evaluates on Python ints (the
explicit engine and the interpreter) and on Z3 integer terms (the symbolic engine,
which proves the lemmas in ``checker.symbolic`` for every ``n``).

Rule IDs: TH-1 .. TH-5 in ``spec/thresholds.md``.
"""

from __future__ import annotations

from typing import Any

from .logic import And, div, max_, min_

__all__ = [
    "byzantine_threshold",
    "supermajority_threshold",
    "is_more_than_two_thirds",
    "is_more_than_one_third",
    "is_majority",
    "is_at_least_two_thirds",
    "backing_votes_needed",
    "is_backable",
    "BACKING_THRESHOLDS",
    "pvf_accept_threshold",
    "pvf_reject_threshold",
    "is_pvf_check_accepted",
    "is_pvf_check_rejected",
]


def byzantine_threshold(n: Any) -> Any:
    """f: the most byzantine validators tolerated among n (TH-1): ``max(n-1, 0) // 3``."""
    return div(max_(n - 1, 0), 3)


def supermajority_threshold(n: Any) -> Any:
    """The least count that is more than 2/3 of n (TH-2): ``n - f``."""
    return n - byzantine_threshold(n)


def is_more_than_two_thirds(votes: Any, n: Any) -> Any:
    """``votes > 2n/3`` without division (TH-2); the availability rule (AV-6)."""
    return 3 * votes > 2 * n


def is_more_than_one_third(votes: Any, n: Any) -> Any:
    """``votes > n/3`` (TH-3), the escalation outcome threshold of seed 003 §1.10.3."""
    return 3 * votes > n


def is_majority(votes: Any, n: Any) -> Any:
    """``votes > n/2`` (TH-4): seed 003 §2.3 / §2.6.3 reading of backing."""
    return 2 * votes > n


def is_at_least_two_thirds(votes: Any, n: Any) -> Any:
    """``votes >= 2n/3`` (TH-4): seed 003 Definition 7 reading of backing."""
    return 3 * votes >= 2 * n


#: The selectable readings of the backing threshold (decision INC-D1).
BACKING_THRESHOLDS = ("majority", "two_thirds", "sdk")


def backing_votes_needed(group_size: Any, rule: str, minimum_backing_votes: Any = 2) -> Any:
    """The least number of valid statements that makes a candidate backable (TH-4).

    * ``majority``: more than half the group (seed 003 §2.3, §2.6.3);
    * ``two_thirds``: at least 2/3 of the group (seed 003 Definition 7);
    * ``sdk``: ``min(group_size, minimum_backing_votes)`` (polkadot-sdk).
    """
    if rule == "majority":
        return div(group_size, 2) + 1
    if rule == "two_thirds":
        return div(2 * group_size + 2, 3)
    if rule == "sdk":
        return min_(group_size, minimum_backing_votes)
    raise ValueError(f"unknown backing threshold {rule!r}")


def is_backable(votes: Any, group_size: Any, rule: str, minimum_backing_votes: Any = 2) -> Any:
    """Whether ``votes`` valid statements back a candidate under ``rule`` (TH-4)."""
    if rule == "majority":
        return is_majority(votes, group_size)
    if rule == "two_thirds":
        return And(group_size > 0, is_at_least_two_thirds(votes, group_size))
    if rule == "sdk":
        return votes >= min_(group_size, minimum_backing_votes)
    raise ValueError(f"unknown backing threshold {rule!r}")


# -- PVF pre-checking (spec/upgrades.md UPG-15, decision UPG-D5) ------------------------------


def pvf_accept_threshold(n: Any) -> Any:
    """Accept votes that conclude a PVF pre-checking vote as accepted: the supermajority
    threshold ``n - f`` (polkadot-sdk ``PvfCheckActiveVoteState::quorum``)."""
    return supermajority_threshold(n)


def pvf_reject_threshold(n: Any) -> Any:
    """``n - supermajority(n)``: reject votes *above* this make acceptance impossible."""
    return n - supermajority_threshold(n)


def is_pvf_check_accepted(accepts: Any, n: Any) -> Any:
    """The vote is accepted once the accepts reach the supermajority (UPG-15)."""
    return accepts >= pvf_accept_threshold(n)


def is_pvf_check_rejected(rejects: Any, n: Any) -> Any:
    """The vote is rejected once the rejects exceed ``n - supermajority(n)`` (UPG-15):
    from then on the accepts can no longer reach the supermajority."""
    return rejects > pvf_reject_threshold(n)

"""Threshold arithmetic: the one place where quorum rules are written.

Every function here is plain arithmetic built from ``+ - * < <= >`` and
:func:`model.logic.div`, so the same expression evaluates on Python ints (the
explicit engine and the interpreter) and on Z3 integer terms (the symbolic engine,
which proves the lemmas in ``checker.symbolic`` for every ``n``).

Rule IDs: TH-* in ``spec/thresholds.md``; the lemmas in ``checker.symbolic.lemmas``
prove the relations between these functions for every ``n``.
"""

from __future__ import annotations

from typing import Any

from .logic import And, Not, div, ite, max_, min_

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
    # escalation (seed 003 §1.10.3)
    "ESCALATION_PENDING",
    "ESCALATION_VALID",
    "ESCALATION_INVALID",
    "ESCALATION_INVALID_NO_SLASH",
    "is_escalation_decided",
    "is_escalation_valid",
    "is_escalation_invalid",
    "is_escalation_invalid_no_slash",
    "escalation_outcome",
    # PVF pre-checking (seed 001, polkadot-sdk)
    "is_pvf_precheck_accepted",
    "is_pvf_precheck_rejected",
    # halts (seed 002)
    "halt_quorum",
    "has_halt_quorum",
    "halt_stall_offline",
    "halt_safety_threshold",
    "is_multisig_approved",
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


# -- invalidity escalation: seed 003 §1.10.3 (TH-11) ------------------------------------------

#: Outcome codes of :func:`escalation_outcome`.
ESCALATION_PENDING = 0
ESCALATION_VALID = 1
ESCALATION_INVALID = 2
ESCALATION_INVALID_NO_SLASH = 3


def is_escalation_decided(attesters: Any, n: Any) -> Any:
    """The vote is resolved once more than 2n/3 validators have attested (TH-11)."""
    return is_more_than_two_thirds(attesters, n)


def is_escalation_valid(votes_valid: Any, votes_invalid: Any, n: Any) -> Any:
    """More than n/3 attest validity and at most n/3 invalidity: valid, slash the others."""
    return And(is_more_than_one_third(votes_valid, n), Not(is_more_than_one_third(votes_invalid, n)))


def is_escalation_invalid(votes_valid: Any, votes_invalid: Any, n: Any) -> Any:
    """More than n/3 attest invalidity and at most n/3 validity: invalid, slash the others."""
    return And(is_more_than_one_third(votes_invalid, n), Not(is_more_than_one_third(votes_valid, n)))


def is_escalation_invalid_no_slash(votes_valid: Any, votes_invalid: Any, n: Any) -> Any:
    """More than n/3 on both sides: invalid, and nobody is slashed."""
    return And(is_more_than_one_third(votes_valid, n), is_more_than_one_third(votes_invalid, n))


def escalation_outcome(votes_valid: Any, votes_invalid: Any, attesters: Any, n: Any) -> Any:
    """The outcome code of an invalidity escalation (seed 003 §1.10.3, TH-11).

    ``votes_valid`` / ``votes_invalid`` count the validators attesting each side (one
    on both sides counts on both), ``attesters`` the distinct validators that attested.
    """
    return ite(is_escalation_decided(attesters, n),
               ite(is_escalation_invalid_no_slash(votes_valid, votes_invalid, n), ESCALATION_INVALID_NO_SLASH,
                   ite(is_escalation_valid(votes_valid, votes_invalid, n), ESCALATION_VALID,
                       ite(is_escalation_invalid(votes_valid, votes_invalid, n), ESCALATION_INVALID,
                           ESCALATION_PENDING))),
               ESCALATION_PENDING)


# -- PVF pre-checking: seed 001, polkadot-sdk ``paras`` (TH-14) --------------------------------


def is_pvf_precheck_accepted(accepts: Any, n: Any) -> Any:
    """The code is accepted once the accepting votes reach the supermajority ``n - f``."""
    return accepts >= supermajority_threshold(n)


def is_pvf_precheck_rejected(rejects: Any, n: Any) -> Any:
    """The code is rejected once the rejecting votes exceed ``n - supermajority`` (= f),
    i.e. once acceptance has become impossible."""
    return rejects > n - supermajority_threshold(n)


# -- halts: seed 002 (TH-15) --------------------------------------------------------------------


def halt_quorum(n: Any) -> Any:
    """Committee members that must be active for commits: the BFT quorum ``n - f``."""
    return supermajority_threshold(n)


def has_halt_quorum(active: Any, n: Any) -> Any:
    """Enough active members to form a quorum (otherwise: soft stall)."""
    return active >= halt_quorum(n)


def halt_stall_offline(n: Any) -> Any:
    """The least number of offline members that prevents a quorum: ``f + 1``."""
    return n - halt_quorum(n) + 1


def halt_safety_threshold(n: Any) -> Any:
    """Active-committee safety threshold (decision TH-D2): one above the quorum, so the
    soft stall is declared while a quorum can still form (seed 002: 86 for quorum 85)."""
    return halt_quorum(n) + 1


def is_multisig_approved(signers: Any, threshold: Any = 7) -> Any:
    """A governance ``threshold``-of-m multisig message is authorised (seed 002: 7 of 12)."""
    return signers >= threshold

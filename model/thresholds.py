"""Threshold arithmetic: the one place where quorum rules are written.

Every function here is plain arithmetic built from ``+ - * < <= >`` and
:func:`model.logic.div`, so the same expression evaluates on Python ints (the
explicit engine and the interpreter) and on Z3 integer terms (the symbolic engine,
which proves the lemmas in ``checker.symbolic`` for every ``n``).

Rule IDs: TH-* in ``spec/thresholds.md``; the validity functions implement rules of
``spec/escalation.md``, ``spec/disputes.md`` and ``spec/approval.md``; the lemmas in
``checker.symbolic.lemmas`` prove the relations between these functions for every ``n``.
"""

from __future__ import annotations

from typing import Any

from .logic import And, Not, Or, div, ite, max_, min_
from .rules import implements

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
    "is_byzantine_exceeded",
    "is_supermajority",
    "is_reconstructible",
    "approval_checks_default",
    "approval_checks_needed",
    "DISPUTE_RULES",
    "dispute_outcome",
    "has_supermajority_either_way",
    "is_dispute_session_kept",
    "OUTCOME_NONE",
    "OUTCOME_VALID",
    "OUTCOME_INVALID",
    "OUTCOME_INVALID_NO_SLASH",
    "OUTCOME_BOTH",
    "pvf_accept_threshold",
    "pvf_reject_threshold",
    "is_pvf_check_accepted",
    "is_pvf_check_rejected",
    # escalation ([AnV §1.10.3])
    "ESCALATION_PENDING",
    "ESCALATION_VALID",
    "ESCALATION_INVALID",
    "ESCALATION_INVALID_NO_SLASH",
    "is_escalation_decided",
    "is_escalation_valid",
    "is_escalation_invalid",
    "is_escalation_invalid_no_slash",
    "escalation_outcome",
    # PVF pre-checking ([RFC-UPG], polkadot-sdk)
    "is_pvf_precheck_accepted",
    "is_pvf_precheck_rejected",
    # halts ([HALT])
    "halt_quorum",
    "has_halt_quorum",
    "halt_stall_offline",
    "halt_safety_threshold",
]


@implements("TH-1")
def byzantine_threshold(n: Any) -> Any:
    """f: the most byzantine validators tolerated among n (TH-1): ``max(n-1, 0) // 3``."""
    return div(max_(n - 1, 0), 3)


@implements("TH-2")
def supermajority_threshold(n: Any) -> Any:
    """The least count that is more than 2/3 of n (TH-2): ``n - f``."""
    return n - byzantine_threshold(n)


@implements("TH-2", "AV-6")
def is_more_than_two_thirds(votes: Any, n: Any) -> Any:
    """``votes > 2n/3`` without division (TH-2); the availability rule (AV-6)."""
    return 3 * votes > 2 * n


@implements("TH-3")
def is_more_than_one_third(votes: Any, n: Any) -> Any:
    """``votes > n/3`` (TH-3), the escalation outcome threshold of [AnV §1.10.3]."""
    return 3 * votes > n


@implements("TH-4")
def is_majority(votes: Any, n: Any) -> Any:
    """``votes > n/2`` (TH-4): [IG §2.3] / [IG §2.6.3] reading of backing."""
    return 2 * votes > n


@implements("TH-4")
def is_at_least_two_thirds(votes: Any, n: Any) -> Any:
    """``votes >= 2n/3`` (TH-4): [AnV] Definition 7 reading of backing."""
    return 3 * votes >= 2 * n


#: The selectable readings of the backing threshold (decision INC-D1).
BACKING_THRESHOLDS = ("majority", "two_thirds", "sdk")


@implements("TH-4")
def backing_votes_needed(group_size: Any, rule: str, minimum_backing_votes: Any = 2) -> Any:
    """The least number of valid statements that makes a candidate backable (TH-4).

    * ``majority``: more than half the group ([IG §2.3], [IG §2.6.3]);
    * ``two_thirds``: at least 2/3 of the group ([AnV] Definition 7);
    * ``sdk``: ``min(group_size, minimum_backing_votes)`` (polkadot-sdk).
    """
    if rule == "majority":
        return div(group_size, 2) + 1
    if rule == "two_thirds":
        return div(2 * group_size + 2, 3)
    if rule == "sdk":
        return min_(group_size, minimum_backing_votes)
    raise ValueError(f"unknown backing threshold {rule!r}")


@implements("TH-4")
def is_backable(votes: Any, group_size: Any, rule: str, minimum_backing_votes: Any = 2) -> Any:
    """Whether ``votes`` valid statements back a candidate under ``rule`` (TH-4)."""
    if rule == "majority":
        return is_majority(votes, group_size)
    if rule == "two_thirds":
        return And(group_size > 0, is_at_least_two_thirds(votes, group_size))
    if rule == "sdk":
        return votes >= min_(group_size, minimum_backing_votes)
    raise ValueError(f"unknown backing threshold {rule!r}")


# -- validity and disputes (spec/escalation.md, spec/disputes.md) ------------------------------


@implements("ESC-9", "ESC-10", "DSP-10")
def is_byzantine_exceeded(votes: Any, n: Any) -> Any:
    """``votes > f``: more votes than byzantine validators can cast (ESC-9, ESC-10, DSP-10).

    polkadot-sdk's dispute is *confirmed* when its participants exceed f; the
    disputes machine also uses it for "approved by at least one honest checker"."""
    return votes > byzantine_threshold(n)


@implements("ESC-9", "SLS-1")
def is_supermajority(votes: Any, n: Any) -> Any:
    """``votes >= n - f`` (ESC-9, SLS-1): polkadot-sdk's *concluded* test for one side of a
    dispute; equal to :func:`is_more_than_two_thirds` for every ``n >= 1``."""
    return votes >= supermajority_threshold(n)


@implements("APR-7")
def is_reconstructible(pieces: Any, n: Any) -> Any:
    """``pieces > 2f`` (APR-7; [AnV §1.10], Algorithm 15): enough distinct erasure pieces
    to reconstruct the blob."""
    return pieces > 2 * byzantine_threshold(n)


@implements("APR-3")
def approval_checks_default(group_size: Any, extra: Any = 2) -> Any:
    """``#VDefault`` (APR-3; [AnV §1.9.4]): the parachain validators plus a constant ("like 2")."""
    return group_size + extra


@implements("APR-3", "APR-5")
def approval_checks_needed(group_size: Any, fishermen_stake: Any, c_f: Any = 1, extra: Any = 2) -> Any:
    """``#VCheck = #VDefault + c_f * total fishermen stake`` (APR-3, APR-5; [AnV §1.9.4])."""
    return approval_checks_default(group_size, extra) + c_f * fishermen_stake


#: The readings of a 1 bit on a free core (decision AV-D2): the whole bitfield disregarded
#: ([IG §2.5.6]), that bit alone ignored (polkadot-sdk today), or the block rejected (the sdk
#: runtime of 2020).
FREE_CORE_BIT = ("disregard", "bit", "reject")

#: The selectable readings of dispute resolution (decision ESC-D1).
DISPUTE_RULES = ("seed", "sdk")

#: Outcome codes of :func:`dispute_outcome`.
OUTCOME_NONE = 0
OUTCOME_VALID = 1
OUTCOME_INVALID = 2
OUTCOME_INVALID_NO_SLASH = 3
#: sdk reading only: both sides reached a supermajority (needs more than f double voters)
OUTCOME_BOTH = 4


@implements("ESC-3", "ESC-6", "ESC-9", "DSP-5")
def dispute_outcome(votes_for: Any, votes_against: Any, attesters: Any, n: Any, rule: str = "seed") -> Any:
    """The outcome of a dispute / escalation vote (ESC-3 .. ESC-6, ESC-9, DSP-5), an int code.

    ``votes_for`` and ``votes_against`` count the validators on each side (a
    validator on both sides counts on both); ``attesters`` counts distinct validators.

    * ``seed`` ([AnV §1.10.3]): nothing until more than 2n/3 validators attested;
      then VALID if more than n/3 attest validity and at most n/3 invalidity, INVALID
      in the mirror case, INVALID_NO_SLASH if both sides exceed n/3.
    * ``sdk`` (polkadot-sdk ``DisputeStateFlags``): VALID when the for-votes reach
      the supermajority ``n - f``, INVALID when the against-votes do, BOTH if both do.
    """
    if rule == "seed":
        v = is_more_than_one_third(votes_for, n)
        i = is_more_than_one_third(votes_against, n)
        return ite(is_more_than_two_thirds(attesters, n),
                   ite(And(v, i), OUTCOME_INVALID_NO_SLASH,
                       ite(v, OUTCOME_VALID, ite(i, OUTCOME_INVALID, OUTCOME_NONE))),
                   OUTCOME_NONE)
    if rule == "sdk":
        v = is_supermajority(votes_for, n)
        i = is_supermajority(votes_against, n)
        return ite(And(v, i), OUTCOME_BOTH, ite(v, OUTCOME_VALID, ite(i, OUTCOME_INVALID, OUTCOME_NONE)))
    raise ValueError(f"unknown dispute rule {rule!r}")


@implements("SLS-2", "SLS-3")
def has_supermajority_either_way(votes_for: Any, votes_against: Any, n: Any) -> Any:
    """SLS-2, SLS-3 ([IG §2.5.9]): the dispute garnered a 2/3+ supermajority on one side."""
    return Or(is_supermajority(votes_for, n), is_supermajority(votes_against, n))


# -- PVF pre-checking (spec/upgrades.md UPG-15, decision UPG-D5) ------------------------------


def pvf_accept_threshold(n: Any) -> Any:
    """Accept votes that conclude a PVF pre-checking vote as accepted: the supermajority
    threshold ``n - f`` (polkadot-sdk ``PvfCheckActiveVoteState::quorum``)."""
    return supermajority_threshold(n)


def pvf_reject_threshold(n: Any) -> Any:
    """``n - supermajority(n)``: reject votes *above* this make acceptance impossible."""
    return n - supermajority_threshold(n)


@implements("UPG-15")
def is_pvf_check_accepted(accepts: Any, n: Any) -> Any:
    """The vote is accepted once the accepts reach the supermajority (UPG-15)."""
    return is_supermajority(accepts, n)


@implements("UPG-15")
def is_pvf_check_rejected(rejects: Any, n: Any) -> Any:
    """The vote is rejected once the rejects exceed ``n - supermajority(n)`` (UPG-15):
    from then on the accepts can no longer reach the supermajority."""
    return rejects > pvf_reject_threshold(n)


# -- invalidity escalation: [AnV §1.10.3] (TH-11) ------------------------------------------

#: Outcome codes of :func:`escalation_outcome`.
ESCALATION_PENDING = 0
ESCALATION_VALID = 1
ESCALATION_INVALID = 2
ESCALATION_INVALID_NO_SLASH = 3


@implements("TH-11")
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


@implements("TH-11")
def escalation_outcome(votes_valid: Any, votes_invalid: Any, attesters: Any, n: Any) -> Any:
    """The outcome code of an invalidity escalation ([AnV §1.10.3], TH-11).

    ``votes_valid`` / ``votes_invalid`` count the validators attesting each side (one
    on both sides counts on both), ``attesters`` the distinct validators that attested.
    """
    # The seed's three cases, written case by case. The machines call ``dispute_outcome``; the
    # lemma ``dispute_outcome_agrees_with_escalation`` proves the two equal for every n.
    return ite(is_escalation_decided(attesters, n),
               ite(is_escalation_invalid_no_slash(votes_valid, votes_invalid, n), ESCALATION_INVALID_NO_SLASH,
                   ite(is_escalation_valid(votes_valid, votes_invalid, n), ESCALATION_VALID,
                       ite(is_escalation_invalid(votes_valid, votes_invalid, n), ESCALATION_INVALID,
                           ESCALATION_PENDING))),
               ESCALATION_PENDING)


# -- PVF pre-checking: [RFC-UPG], polkadot-sdk ``paras`` (TH-14) --------------------------------


def is_pvf_precheck_accepted(accepts: Any, n: Any) -> Any:
    """The code is accepted once the accepting votes reach the supermajority ``n - f``
    (the upgrades machine's own rule, :func:`is_pvf_check_accepted`)."""
    return is_pvf_check_accepted(accepts, n)


def is_pvf_precheck_rejected(rejects: Any, n: Any) -> Any:
    """The code is rejected once the rejecting votes exceed ``n - supermajority`` (= f),
    i.e. once acceptance has become impossible (:func:`is_pvf_check_rejected`)."""
    return is_pvf_check_rejected(rejects, n)


# -- halts: [HALT] (TH-15) --------------------------------------------------------------------


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
    soft stall is declared while a quorum can still form ([HALT]: 86 for quorum 85)."""
    return halt_quorum(n) + 1


@implements("DSP-9", "DSP-14")
def is_dispute_session_kept(session: int, current: int, period: int) -> bool:
    """DSP-9 / DSP-14: statements on a candidate of ``session`` are accepted in session
    ``current`` while ``session <= current <= session + period``: ``period`` is one session of
    duty ([IG §2.5.8], reading=seed) or ``dispute_period`` (polkadot-sdk: ``session_info``
    keeps the sessions from ``current - dispute_period`` on; an older set is an
    ``AncientDisputeStatement``, reading=sdk). Shared by the ``escalation`` machine and any
    runtime that consumes dispute statement sets."""
    return session <= current <= session + period

"""Properties and mutants of the ``poa`` machine (spec/poa.md, [POA])."""

from __future__ import annotations

import attrs

from paraspec.model.core import Rejected
from paraspec.model.poa import (
    GOVERNANCE,
    AddValidator,
    EndSession,
    Heartbeat,
    PoaMachine,
    ReAddSelf,
    RemoveValidator,
)
from paraspec.model.resilience import min_seconds_for_blocks, target_seconds_for_blocks

from .core import always, mutant, sometimes, transition

M = "poa"


def _ok(t) -> bool:
    return not isinstance(t, Rejected)


def _reported(s) -> int:
    """The active validators that sent no heartbeat in the session ([POA]: ImOnline's
    offenders)."""
    return s.active & ~s.heartbeats


def _removable(m, s) -> bool:
    """Removing every reported validator from the list keeps it at its minimum size."""
    return (s.validators & ~_reported(s)).bit_count() >= m.config.min_validators


# -- invariants ---------------------------------------------------------------------------------


@always(M, ["POA-2", "POA-4", "POA-5"], witness=lambda m, s: s.heartbeats != 0 and s.validators != s.active)
def type_ok(m, s):
    """Sets name known accounts; heartbeats come only from the active set."""
    everyone = (1 << m.config.n_accounts) - 1
    return (all(0 <= x <= everyone for x in (s.validators, s.approved, s.active, s.heartbeats, s.online))
            and s.heartbeats & ~s.active == 0)


@always(M, ["POA-3", "POA-7"], witness=lambda m, s: s.approved & ~s.validators != 0)
def listed_validators_are_approved(m, s):
    """Every validator on the list was added by governance and not removed by it."""
    return s.validators & ~s.approved == 0


@always(M, ["POA-8"], witness=lambda m, s: s.validators.bit_count() == m.config.min_validators)
def never_below_minimum(m, s):
    """Neither the list nor the session's set ever has fewer than the minimum number of
    validators (the seed's decentralization worry)."""
    return (s.validators.bit_count() >= m.config.min_validators
            and s.active.bit_count() >= m.config.min_validators)


# -- transition properties -------------------------------------------------------------------------


@transition(M, ["POA-1"], on=[AddValidator, RemoveValidator], witness=lambda m, s, a, t: a.origin != GOVERNANCE)
def only_governance_adds_and_removes(m, s, a, t):
    """Adding and removing validators needs the privileged origin."""
    return a.origin == GOVERNANCE or not _ok(t)


@transition(M, ["POA-3"], on=[RemoveValidator], witness=lambda m, s, a, t: _ok(t))
def governance_removal_revokes_approval(m, s, a, t):
    """A validator removed by governance leaves the list and loses its approval."""
    bit = 1 << a.validator
    return not _ok(t) or (t.validators & bit == 0 and t.approved & bit == 0)


@transition(M, ["POA-7"], on=[ReAddSelf], witness=lambda m, s, a, t: a.origin != a.validator
            or not (s.approved >> a.validator) & 1)
def only_an_approved_validator_re_adds_itself(m, s, a, t):
    """``add_validator_again`` succeeds only when signed by the validator itself and only
    for a validator still approved (removed for being offline, not by governance)."""
    if not _ok(t):
        return True
    return a.origin == a.validator and (s.approved >> a.validator) & 1 == 1


@transition(M, ["POA-4"], witness=lambda m, s, a, t: isinstance(a, (AddValidator, RemoveValidator, ReAddSelf)) and _ok(t))
def set_changes_only_at_rotation(m, s, a, t):
    """Additions and removals take effect at the next rotation, when the list becomes the
    session's set and heartbeats start over."""
    if not _ok(t):
        return True
    if isinstance(a, EndSession):
        return t.active == t.validators and t.heartbeats == 0
    return t.active == s.active


@transition(M, ["POA-5"], on=[Heartbeat], witness=lambda m, s, a, t: not (s.active >> a.validator) & 1)
def heartbeats_only_from_active_online_validators(m, s, a, t):
    """A heartbeat is accepted only from a validator of the current session whose node is up."""
    return not _ok(t) or ((s.active >> a.validator) & 1 and (s.online >> a.validator) & 1)


@transition(M, ["POA-6", "POA-7"], on=[EndSession], witness=lambda m, s, a, t: _reported(s) & s.validators != 0)
def offline_validators_removed_at_rotation(m, s, a, t):
    """The validators without a heartbeat are removed at the rotation (unless the minimum
    size stops it), and stay approved; nobody else is removed."""
    if not _ok(t):
        return False
    rep = _reported(s)
    if t.approved != s.approved or t.validators & ~s.validators:
        return False
    if s.validators & ~rep & ~t.validators:  # someone not reported was removed
        return False
    return not _removable(m, s) or t.validators & rep == 0


@transition(M, ["POA-9", "POA-10"], on=[EndSession], witness=lambda m, s, a, t: _reported(s) & s.validators
            & ~s.online != 0 and _removable(m, s))
def block_period_returns_to_target(m, s, a, t):
    """[POA]'s arithmetic: with the reported (offline) validators gone from the new
    set, N blocks take N slots again (60 s for 10 blocks of 6 s) instead of at least
    one slot more per offline member (66 s with one offline)."""
    if not _removable(m, s):
        return True
    if not _ok(t):
        return False
    n = t.active.bit_count()
    still_offline = (t.active & _reported(s) & ~t.online).bit_count()
    if n == 0 or still_offline == n:
        return False
    slot = m.config.slot_seconds
    return min_seconds_for_blocks(n, n, still_offline, slot) == target_seconds_for_blocks(n, slot)


# -- reachability witnesses --------------------------------------------------------------------------


@sometimes(M, ["POA-7"])
def validator_back_after_offline_removal(m, s):
    """A validator removed for being offline has put itself back, and the whole approved set
    authors blocks again."""
    return s.readmitted and s.active == s.approved and s.active.bit_count() == m.config.initial


@sometimes(M, ["POA-8"])
def offline_validator_kept_by_minimum(m, s):
    """The minimum size keeps an offline validator in the session's set."""
    return s.active.bit_count() == m.config.min_validators and s.active & ~s.online != 0


# -- mutants ----------------------------------------------------------------------------------------


@mutant(M, "poa_any_origin_adds", kills=["only_governance_adds_and_removes"])
class AnyOriginAdds(PoaMachine):
    """Any signed account may add or remove validators."""

    def is_privileged(self, origin):
        return True


@mutant(M, "poa_removal_keeps_approval", kills=["governance_removal_revokes_approval"])
class RemovalKeepsApproval(PoaMachine):
    """Governance removal takes the validator off the list but leaves it approved, so it can
    re-add itself."""

    def process_remove_validator(self, s, a):
        t = super().process_remove_validator(s, a)
        return attrs.evolve(t, approved=s.approved)


@mutant(M, "poa_readd_anyone", kills=["only_an_approved_validator_re_adds_itself"])
class ReAddAnyone(PoaMachine):
    """Any account may put an approved validator back (the origin is not checked)."""

    def may_readd(self, s, validator, origin):
        return (s.approved >> validator) & 1 == 1


@mutant(M, "poa_readd_after_governance_removal",
        kills=["only_an_approved_validator_re_adds_itself", "listed_validators_are_approved"])
class ReAddAfterGovernanceRemoval(PoaMachine):
    """A validator removed by governance may add itself back."""

    def may_readd(self, s, validator, origin):
        return origin == validator


@mutant(M, "poa_add_takes_effect_at_once", kills=["set_changes_only_at_rotation"])
class AddTakesEffectAtOnce(PoaMachine):
    """An added validator joins the current session's set immediately."""

    def process_add_validator(self, s, a):
        t = super().process_add_validator(s, a)
        return attrs.evolve(t, active=t.active | (1 << a.validator))


@mutant(M, "poa_heartbeat_from_anyone", kills=["heartbeats_only_from_active_online_validators", "type_ok"])
class HeartbeatFromAnyone(PoaMachine):
    """Heartbeats are accepted from any account, active or not."""

    def may_heartbeat(self, s, validator):
        return True


@mutant(M, "poa_offline_reports_ignored", kills=["offline_validators_removed_at_rotation",
                                                  "block_period_returns_to_target"])
class OfflineReportsIgnored(PoaMachine):
    """``report_offence`` marks nobody: offline validators stay in the set forever."""

    def get_reported(self, s):
        return 0


@mutant(M, "poa_offline_removal_unapproves", kills=["offline_validators_removed_at_rotation"])
class OfflineRemovalUnapproves(PoaMachine):
    """Offline removal also revokes the approval (as a governance removal does)."""

    def process_end_session(self, s, a):
        t = super().process_end_session(s, a)
        return attrs.evolve(t, approved=t.approved & (t.validators | ~s.validators))


@mutant(M, "poa_offline_removal_ignores_minimum", kills=["never_below_minimum"])
class OfflineRemovalIgnoresMinimum(PoaMachine):
    """The reading of the substrate-validator-set pallet (POA-D1): offline validators are
    removed whatever the set size."""

    def compute_next_list(self, s, reported):
        return s.validators & ~reported


@mutant(M, "poa_governance_removal_ignores_minimum", kills=["never_below_minimum"])
class GovernanceRemovalIgnoresMinimum(PoaMachine):
    """Governance may remove validators below the minimum."""

    def may_remove(self, validators):
        return validators != 0


@mutant(M, "poa_rotation_hands_stale_list", kills=["set_changes_only_at_rotation", "block_period_returns_to_target"])
class RotationHandsStaleList(PoaMachine):
    """The session receives the list as it was before the offline removals (a session late)."""

    def process_end_session(self, s, a):
        t = super().process_end_session(s, a)
        return attrs.evolve(t, active=s.validators)

"""Properties and mutants of the ``approval`` machine (spec/approval.md).

The properties restate the seed's rules from the VRF primitive
(:func:`model.approval.compute_vrf`) and the seed's arithmetic, independently of the
machine's rule methods.
"""

from __future__ import annotations

from paraspec.model.approval import (
    WHOLE,
    ApprovalMachine,
    Attest,
    Check,
    Fault,
    Status,
    Verdict,
    compute_vrf,
)
from paraspec.model.core import Rejected

from .core import always, mutant, sometimes, transition

M = "approval"


def _accepted(t) -> bool:
    return not isinstance(t, Rejected)


def _closed(m, s) -> bool:
    return s.time > m.params.window


def _hashes(s):
    return (0, 1) if s.equivocated else (0,)


def _vrf(m, s, v, b, h):
    return compute_vrf(s.randomness, v, b, h, m.params.vrf_range)


def _one_shot(m, s, v) -> int:
    """[AnV §1.9.3]/[AnV §1.9.5]: the relay-block VRF (one per hash) mod the number of available parablocks."""
    avail = [b for b in range(m.params.n_blocks) if (s.available >> b) & 1]
    return sum({1 << avail[_vrf(m, s, v, -1, h) % len(avail)] for h in _hashes(s)})


def _vcheck(m, s) -> int:
    """[AnV §1.9.4]: #VCheck = (parachain validators + 2) + c_f * total fishermen stake."""
    p = m.params
    return p.group_size + p.vdefault_extra + p.c_f * s.stake


def _primary(m, s, v, b) -> bool:
    return bool((s.backers[b] >> v) & 1 or (_one_shot(m, s, v) >> b) & 1)


def _priority(m, s, v, b) -> int:
    return min(_vrf(m, s, v, b, h) for h in _hashes(s))


def _may_check(m, s, v, b) -> bool:
    """[AnV §1.9.4]: an extra checker checks at once if its VRF is small enough, otherwise after
    a delay and only if fewer than #VCheck higher-priority validators have checked."""
    if _primary(m, s, v, b):
        return True
    margin = _vcheck(m, s) - (m.params.group_size + m.params.vdefault_extra)
    prio = _priority(m, s, v, b)
    if prio < margin:
        return True
    if s.time < prio - margin:
        return False
    seen = s.valid[b] | s.invalid[b]
    higher = sum(1 for u in range(m.params.n_validators)
                 if u != v and (seen >> u) & 1 and (_primary(m, s, u, b) or _priority(m, s, u, b) < prio))
    return higher < _vcheck(m, s)


def _honest(m):
    return [v for v in range(m.params.n_validators) if v != m.params.byzantine]


# -- invariants --------------------------------------------------------------------------------------


@always(M, ["APR-2", "APR-9"], witness=lambda m, s: _closed(m, s))
def type_ok(m, s):
    """Attestations concern available parablocks only, backers attested validity, no
    validator attested both ways, and parablocks are decided only when the window closes."""
    for b in range(m.params.n_blocks):
        avail = (s.available >> b) & 1
        if not avail and (s.valid[b] != s.backers[b] or s.invalid[b]):
            return False
        if s.valid[b] & s.invalid[b] or s.backers[b] & ~s.valid[b]:
            return False
        if (s.status[b] != Status.PENDING) != (bool(avail) and _closed(m, s)):
            return False
    return True


@always(M, ["APR-8"], witness=lambda m, s: any((s.invalid[b] >> v) & 1 for v in _honest(m)
                                               for b in range(m.params.n_blocks)))
def honest_verdicts_follow_three_conditions(m, s):
    """An honest checker attests invalidity exactly when one of the three conditions holds:
    erasure-root mismatch, validation failure, or a result inconsistent with the receipt."""
    for v in _honest(m):
        for b in range(m.params.n_blocks):
            if (s.invalid[b] >> v) & 1 and s.faults[b] == Fault.NONE:
                return False
            if (s.valid[b] >> v) & 1 and not (s.backers[b] >> v) & 1 and s.faults[b] != Fault.NONE:
                return False
    return True


@always(M, ["APR-1", "APR-2", "APR-6"], witness=lambda m, s: s.equivocated)
def one_shot_assignment_by_vrf(m, s):
    """Each validator's one-shot assignment is the relay-block VRF modulo the number of
    available parablocks, one per relay-block hash: twice the VRFs after an equivocation."""
    return all(m.get_one_shot(s, v) == _one_shot(m, s, v) for v in range(m.params.n_validators))


@always(M, ["APR-3", "APR-5", "APR-9"], witness=lambda m, s: Status.APPROVED in s.status)
def approved_only_with_vcheck_checks(m, s):
    """A parablock is approved only with at least #VCheck = #VDefault + c_f * stake validity
    checks (parachain validators included) and no invalidity attestation."""
    return all(st != Status.APPROVED or (s.valid[b].bit_count() >= _vcheck(m, s) and not s.invalid[b])
               for b, st in enumerate(s.status))


@always(M, ["APR-9"], witness=lambda m, s: Status.ESCALATED in s.status)
def invalidity_attestation_escalates(m, s):
    """When the window closes, a parablock with an invalidity attestation is escalated,
    and only such a parablock."""
    return all(st == Status.PENDING or (st == Status.ESCALATED) == bool(s.invalid[b])
               for b, st in enumerate(s.status))


@always(M, ["APR-8", "APR-9"], witness=lambda m, s: _closed(m, s) and s.faults[0] != Fault.NONE)
def faulty_parablock_never_approved(m, s):
    """With at most f byzantine validators, a parablock with any of the three faults is
    never approved."""
    return all(st != Status.APPROVED or s.faults[b] == Fault.NONE for b, st in enumerate(s.status))


# -- transition properties ----------------------------------------------------------------------------------


@transition(M, ["APR-1"], on=[Attest], witness=lambda m, s, a, t: all(
    a.vrf != _vrf(m, s, a.validator, a.parablock, h) for h in _hashes(s)))
def attestation_vrf_verified(m, s, a, t):
    """An attestation is accepted only if its VRF is the validator's VRF output for the
    parablock (for one of the relay block's hashes)."""
    return not _accepted(t) or any(a.vrf == _vrf(m, s, a.validator, a.parablock, h) for h in _hashes(s))


@transition(M, ["APR-1", "APR-4"], on=[Check, Attest], witness=lambda m, s, a, t: _accepted(t)
            and not _primary(m, s, a.validator, a.parablock))
def only_assigned_validators_check(m, s, a, t):
    """A validator's check is accepted only if it is a parachain validator, one-shot
    assigned, or an extra checker whose turn has come."""
    return not _accepted(t) or _may_check(m, s, a.validator, a.parablock)


@transition(M, ["APR-7"], on=[Check], witness=lambda m, s, a, t: a.pieces != WHOLE
            and a.pieces <= 2 * m.params.f)
def reconstruction_needs_more_than_2f_pieces(m, s, a, t):
    """A checker reconstructs a parablock only from more than 2f erasure pieces."""
    return not _accepted(t) or a.pieces == WHOLE or a.pieces > 2 * m.params.f


# -- reachability witnesses -------------------------------------------------------------------------------------


@sometimes(M, ["APR-3", "APR-9"])
def parablock_approved(m, s):
    """A parablock is approved."""
    return Status.APPROVED in s.status


@sometimes(M, ["APR-4"])
def delayed_extra_checker_checks(m, s):
    """An extra checker that had to wait checks after the first block."""
    return s.time >= 1 and any(
        ((s.valid[b] | s.invalid[b]) >> v) & 1 and not _primary(m, s, v, b)
        and _priority(m, s, v, b) > _vcheck(m, s) - m.params.group_size - m.params.vdefault_extra
        for v in range(m.params.n_validators) for b in range(m.params.n_blocks))


@sometimes(M, ["APR-5"])
def fishermen_stake_withholds_approval(m, s):
    """A parablock with #VDefault validity checks stays unapproved because a fisherman's
    report raised #VCheck."""
    return any(st == Status.UNAPPROVED and s.stake > 0 and not s.invalid[b]
               and s.valid[b].bit_count() == m.params.group_size + m.params.vdefault_extra
               for b, st in enumerate(s.status))


@sometimes(M, ["APR-6"])
def equivocation_assigns_a_second_parablock(m, s):
    """After an equivocation some validator is one-shot assigned to two parablocks."""
    return s.equivocated and any(_one_shot(m, s, v).bit_count() == 2 for v in range(m.params.n_validators))


# -- mutants -------------------------------------------------------------------------------------------------------


class _IgnoreCondition(ApprovalMachine):
    ignored: Fault

    def compute_verdict(self, s, b):
        if s.faults[b] == self.ignored:
            return Verdict.VALID
        return super().compute_verdict(s, b)


@mutant(M, "apr_ignore_erasure_root", kills=["honest_verdicts_follow_three_conditions",
                                              "faulty_parablock_never_approved"])
class IgnoreErasureRoot(_IgnoreCondition):
    """Condition 1 is not checked: a wrong erasure root passes."""

    ignored = Fault.BAD_ERASURE_ROOT


@mutant(M, "apr_ignore_validation", kills=["honest_verdicts_follow_three_conditions",
                                            "faulty_parablock_never_approved"])
class IgnoreValidation(_IgnoreCondition):
    """Condition 2 is not checked: a failing validation function passes."""

    ignored = Fault.BAD_VALIDATION


@mutant(M, "apr_ignore_receipt", kills=["honest_verdicts_follow_three_conditions", "faulty_parablock_never_approved"])
class IgnoreReceipt(_IgnoreCondition):
    """Condition 3 is not checked: a result inconsistent with the receipt passes."""

    ignored = Fault.BAD_RESULT


@mutant(M, "apr_mod_all_parablocks", kills=["one_shot_assignment_by_vrf"])
class ModAllParablocks(ApprovalMachine):
    """The one-shot VRF is taken modulo all parablocks, not the available ones."""

    def compute_one_shot(self, s, v, block_hash):
        return self.get_vrf(s, v, -1, block_hash) % self.params.n_blocks


@mutant(M, "apr_equivocation_replaces", kills=["one_shot_assignment_by_vrf"])
class EquivocationReplaces(ApprovalMachine):
    """After an equivocation only the second block's VRF counts (not twice the VRFs)."""

    def get_hashes(self, s):
        return (1,) if s.equivocated else (0,)


@mutant(M, "apr_no_vrf_check", kills=["attestation_vrf_verified"])
class NoVrfCheck(ApprovalMachine):
    """The block producer does not verify the attestation's VRF."""

    def verify_vrf(self, s, v, b, vrf):
        return True


@mutant(M, "apr_extra_checkers_never_wait", kills=["only_assigned_validators_check"])
class ExtraCheckersNeverWait(ApprovalMachine):
    """Every extra checker checks at once, whatever its VRF."""

    def is_extra_eligible(self, s, v, b):
        return True


@mutant(M, "apr_vdefault_without_constant", kills=["approved_only_with_vcheck_checks"])
class VDefaultWithoutConstant(ApprovalMachine):
    """#VDefault is the parachain validators only (the constant is forgotten)."""

    def compute_vcheck(self, s):
        return self.params.group_size + self.params.c_f * s.stake

    def compute_vdefault(self):
        return self.params.group_size


@mutant(M, "apr_stake_ignored", kills=["approved_only_with_vcheck_checks"])
class StakeIgnored(ApprovalMachine):
    """Fishermen reports do not raise #VCheck."""

    def compute_vcheck(self, s):
        return self.compute_vdefault()


@mutant(M, "apr_approve_despite_invalid", kills=["invalidity_attestation_escalates", "approved_only_with_vcheck_checks"])
class ApproveDespiteInvalid(ApprovalMachine):
    """An invalidity attestation does not stop approval once enough validity checks arrived."""

    def compute_status(self, s, b):
        if s.valid[b].bit_count() >= self.compute_vcheck(s):
            return Status.APPROVED
        return super().compute_status(s, b)


@mutant(M, "apr_reconstruct_from_2f", kills=["reconstruction_needs_more_than_2f_pieces"])
class ReconstructFrom2f(ApprovalMachine):
    """Reconstruction accepts 2f pieces (``>=`` for ``>``)."""

    def may_reconstruct(self, pieces):
        return pieces >= 2 * self.params.f


@mutant(M, "apr_decide_early", kills=["type_ok"])
class DecideEarly(ApprovalMachine):
    """Parablocks are decided one block before the approval window ends."""

    def is_window_over(self, time):
        return time >= self.params.window

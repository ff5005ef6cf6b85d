"""Secondary approval checking: [AnV §1.9]–[AnV §1.10] (and the [IG §2.3] approval process).

One relay-chain block acted on ``n_blocks`` parablocks; some were decided available
(only those are checked). Every validator self-assigns by VRF, modelled as a
deterministic function of (randomness, validator, parablock, relay-block hash)
(APR-1):

* one-shot assignment: the relay-block VRF modulo the number of available parablocks
  names the one parablock the validator checks (APR-2);
* extra checkers: ``#VCheck = #VDefault + c_f * fishermen stake`` with ``#VDefault``
  the parachain validators plus a constant (2 in the seed) (APR-3, APR-5); a validator
  whose per-parablock VRF is below ``#VCheck - #VDefault`` checks at once, the others
  wait in proportion to the difference and check only if they have not seen
  ``#VCheck`` checks from higher-priority validators (APR-4);
* an equivocated relay block doubles every VRF (one per block hash): a validator is
  assigned if either VRF assigns it (APR-6).

A checker obtains the parablock whole from a backer or reconstructs it from more than
2f erasure pieces (APR-7), and attests invalidity when any of the three conditions
holds: the erasure root is not the claimed one, validation fails, or the result is
inconsistent with the receipt (APR-8). The block producer verifies each attestation's
VRF (APR-1). When the approval window ends, a parablock with an invalidity attestation
is escalated (model.escalation), one with at least ``#VCheck`` validity checks is
approved, any other stays unapproved (APR-9).

Rules APR-1 .. APR-9 of ``spec/approval.md``.
"""

from __future__ import annotations

import enum
import hashlib
from functools import lru_cache

import attrs

from .config import ConfigError, check_int_fields
from .readings import check_reading
from .core import Machine, register_machine, require
from .rules import implements
from .thresholds import (
    approval_checks_default,
    approval_checks_needed,
    byzantine_threshold,
    is_reconstructible,
)

__all__ = [
    "Fault",
    "Verdict",
    "Status",
    "ApprovalConfig",
    "APPROVAL_PRESETS",
    "ApprovalState",
    "Check",
    "Attest",
    "Report",
    "Equivocate",
    "Tick",
    "ApprovalMachine",
    "compute_vrf",
    "WHOLE",
]


class Fault(enum.IntEnum):
    """What is wrong with a parablock (the ground truth), one per invalidity condition."""

    NONE = 0
    #: the erasure code does not have the claimed Merkle root (condition 1)
    BAD_ERASURE_ROOT = 1
    #: the validation function says the PoV block is invalid (condition 2)
    BAD_VALIDATION = 2
    #: executing the block gives a result inconsistent with the receipt (condition 3)
    BAD_RESULT = 3


class Verdict(enum.IntEnum):
    VALID = 1
    INVALID = 2


class Status(enum.IntEnum):
    PENDING = 0
    APPROVED = 1
    #: not enough checks when the window closed: GRANDPA keeps waiting
    UNAPPROVED = 2
    #: an invalidity attestation: handed to invalidity escalation
    ESCALATED = 3


#: ``Check.pieces`` for obtaining the whole parablock from a backer
WHOLE = -1


@lru_cache(maxsize=None)
def compute_vrf(randomness: int, validator: int, parablock: int, block_hash: int, modulus: int) -> int:
    """APR-1: a validator's VRF output, a deterministic function of its inputs.

    ``parablock`` is -1 for the relay-block VRF of the one-shot assignment ([AnV §1.9.2]) and
    the parablock index for the extra-checker VRF ([AnV §1.9.4]); ``block_hash`` tells the two
    blocks of an equivocation apart ([AnV §1.9.5])."""
    data = f"vrf:{randomness}:{validator}:{parablock}:{block_hash}".encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=4).digest(), "little") % modulus


@attrs.frozen
class ApprovalConfig:
    """Parameters of the ``approval`` machine (``spec/approval.md``).

    The model fixes its backers: parablock b, when valid, is backed by honest validator
    b alone, and an invalid one by the byzantine validator (the last one, present when
    f >= 1); so every parablock has one parachain validator and ``n_blocks`` is at most
    the number of honest validators.
    """

    name: str = "custom"
    #: the reading of the whole host, ``seed`` or ``sdk`` (CFG-D5, ``model/readings.py``)
    reading: str = "seed"
    n_validators: int = 4
    n_blocks: int = 2
    #: the constant added to the parachain validators in #VDefault ("like 2")
    vdefault_extra: int = 2
    #: c_f, the weight of fishermen stake
    c_f: int = 1
    #: exploration bound: fishermen reports (units of stake) in a run
    max_stake: int = 1
    #: VRF outputs are in [0, vrf_range)
    vrf_range: int = 4
    #: blocks of the approval window
    window: int = 2
    #: randomness values explored: 0 .. n_randomness - 1
    n_randomness: int = 2

    @property
    def group_size(self) -> int:
        """Parachain validators (backers) of each parablock: one in this model."""
        return 1

    @property
    def randomness(self) -> tuple[int, ...]:
        return tuple(range(self.n_randomness))

    @property
    def f(self) -> int:
        """The byzantine threshold of the validator set."""
        return byzantine_threshold(self.n_validators)

    @property
    def byzantine(self) -> int:
        """The byzantine validator (the last one; one, so at most f, when f >= 1), or -1."""
        return self.n_validators - 1 if self.f >= 1 else -1

    def validate(self) -> "ApprovalConfig":
        check_int_fields(self, {"n_validators": 1, "n_blocks": 1, "vdefault_extra": 0, "c_f": 0, "max_stake": 0,
                                "vrf_range": 1, "window": 0, "n_randomness": 1})
        honest = self.n_validators - (1 if self.byzantine >= 0 else 0)
        if self.n_blocks > honest:
            raise ConfigError("n_validators", "CFG-1",
                              f"{self.n_validators} validators have {honest} honest, too few to back the "
                              f"{self.n_blocks} parablocks (n_blocks) one each")
        check_reading(self)
        return self


#: named parameter sets; ``tiny`` (4 validators, f = 1, two parablocks) is the one
#: ``make check`` explores
APPROVAL_PRESETS: dict[str, ApprovalConfig] = {
    p.name: p.validate() for p in (
        ApprovalConfig(name="tiny"),
    )
}


@attrs.frozen(cache_hash=True)
class ApprovalState:
    randomness: int
    #: per parablock: its fault (ground truth)
    faults: tuple[Fault, ...]
    #: parablocks decided available in the relay block (bitmask)
    available: int
    #: per parablock: its backers (bitmask); they attested validity in primary validation
    backers: tuple[int, ...]
    #: per parablock: validators that attested validity / invalidity (backers included)
    valid: tuple[int, ...]
    invalid: tuple[int, ...]
    time: int = 0
    stake: int = 0
    #: the relay block was equivocated: a second hash exists
    equivocated: bool = False
    status: tuple[Status, ...] = ()


@attrs.frozen
class Check:
    """Honest ``validator`` checks ``parablock``: obtains it (``pieces`` distinct erasure
    pieces, or ``WHOLE`` from a backer), validates it and gossips its attestation."""

    validator: int
    parablock: int
    pieces: int


@attrs.frozen
class Attest:
    """An attestation as a (byzantine) validator may submit it: ``vrf`` is the VRF output
    it claims assigned it."""

    validator: int
    parablock: int
    verdict: Verdict
    vrf: int


@attrs.frozen
class Report:
    """A fisherman reports on the relay block, adding one unit of stake."""


@attrs.frozen
class Equivocate:
    """The relay block's author equivocates: a second block with the same VRF appears."""


@attrs.frozen
class Tick:
    """A relay-chain block passes; the last one closes the approval window."""


@register_machine
class ApprovalMachine(Machine):
    """Approval-checker assignment, reconstruction, verification and the approval decision."""

    name = "approval"
    vector_suite = "node"
    area = "approval"
    description = "secondary approval checking: VRF assignment, extra checkers, invalidity ([AnV §1.9–1.10])"

    Params = ApprovalConfig
    presets = APPROVAL_PRESETS
    default_preset = "tiny"

    def __init__(self, params: ApprovalConfig):
        super().__init__(params)
        #: memo of :meth:`get_one_shot`, a pure function of the inputs in its key
        self._one_shot: dict = {}

    # -- accessors ----------------------------------------------------------------------------------
    def get_hashes(self, s: ApprovalState) -> tuple[int, ...]:
        """The relay-block hashes the VRFs are computed for (two after an equivocation)."""
        return (0, 1) if s.equivocated else (0,)

    def get_available(self, s: ApprovalState) -> list[int]:
        return [b for b in range(self.params.n_blocks) if (s.available >> b) & 1]

    def get_vrf(self, s: ApprovalState, v: int, parablock: int, block_hash: int) -> int:
        return compute_vrf(s.randomness, v, parablock, block_hash, self.params.vrf_range)

    # -- rules ------------------------------------------------------------------------------------------
    @implements("APR-2")
    def compute_one_shot(self, s: ApprovalState, v: int, block_hash: int) -> int:
        """APR-2: the relay-block VRF modulo the number of available parablocks indexes the
        parablock the validator checks."""
        avail = self.get_available(s)
        return avail[self.get_vrf(s, v, -1, block_hash) % len(avail)]

    @implements("APR-2", "APR-6")
    def get_one_shot(self, s: ApprovalState, v: int) -> int:
        """APR-2, APR-6: the parablocks (bitmask) one-shot assigned to ``v``: one per
        relay-block hash, so twice the VRFs for an equivocated block."""
        key = (s.randomness, s.available, s.equivocated, v)
        out = self._one_shot.get(key)
        if out is None:
            out = 0
            if s.available:
                for h in self.get_hashes(s):
                    out |= 1 << self.compute_one_shot(s, v, h)
            self._one_shot[key] = out
        return out

    @implements("APR-4", "APR-6")
    def compute_priority(self, s: ApprovalState, v: int, b: int) -> int:
        """APR-4, APR-6: the extra-checker VRF of ``v`` for parablock ``b``: the smallest
        over the relay-block hashes (either VRF small enough assigns)."""
        return min(self.get_vrf(s, v, b, h) for h in self.get_hashes(s))

    @implements("APR-3", "APR-5")
    def compute_vcheck(self, s: ApprovalState) -> int:
        """APR-3, APR-5: ``#VCheck = #VDefault + c_f * stake``."""
        p = self.params
        return approval_checks_needed(p.group_size, s.stake, p.c_f, p.vdefault_extra)

    def compute_vdefault(self) -> int:
        p = self.params
        return approval_checks_default(p.group_size, p.vdefault_extra)

    def is_primary(self, s: ApprovalState, v: int, b: int) -> bool:
        """Parachain validators and one-shot assignees check without waiting."""
        return bool((s.backers[b] >> v) & 1 or (self.get_one_shot(s, v) >> b) & 1)

    @implements("APR-4")
    def is_extra_eligible(self, s: ApprovalState, v: int, b: int) -> bool:
        """APR-4: an extra checker checks at once when its VRF is below ``#VCheck -
        #VDefault``; otherwise it waits as many blocks as the difference and checks only
        if it has not seen ``#VCheck`` checks from higher-priority validators."""
        margin = self.compute_vcheck(s) - self.compute_vdefault()
        prio = self.compute_priority(s, v, b)
        if prio < margin:
            return True
        if s.time < prio - margin:
            return False
        higher = 0
        for u in range(self.params.n_validators):
            if u == v or not ((s.valid[b] | s.invalid[b]) >> u) & 1:
                continue
            if self.is_primary(s, u, b) or self.compute_priority(s, u, b) < prio:
                higher += 1
        return higher < self.compute_vcheck(s)

    @implements("APR-1", "APR-4")
    def is_assigned(self, s: ApprovalState, v: int, b: int) -> bool:
        """APR-1 .. APR-4: whether ``v`` may check ``b`` now."""
        return self.is_primary(s, v, b) or self.is_extra_eligible(s, v, b)

    @implements("APR-7")
    def may_reconstruct(self, pieces: int) -> bool:
        """APR-7: reconstruction needs more than 2f distinct erasure pieces."""
        return is_reconstructible(pieces, self.params.n_validators)

    @implements("APR-8")
    def compute_verdict(self, s: ApprovalState, b: int) -> Verdict:
        """APR-8: invalid if the erasure root is not the claimed one, validation fails,
        or the result is inconsistent with the receipt."""
        fault = s.faults[b]
        root_ok = fault != Fault.BAD_ERASURE_ROOT
        validation_ok = fault != Fault.BAD_VALIDATION
        consistent = fault != Fault.BAD_RESULT
        return Verdict.VALID if root_ok and validation_ok and consistent else Verdict.INVALID

    @implements("APR-9")
    def compute_status(self, s: ApprovalState, b: int) -> Status:
        """APR-9: the approval decision when the window closes."""
        if s.invalid[b]:
            return Status.ESCALATED
        if s.valid[b].bit_count() >= self.compute_vcheck(s):
            return Status.APPROVED
        return Status.UNAPPROVED

    # -- machine --------------------------------------------------------------------------------------
    def init(self):
        p = self.params
        byz = p.byzantine
        for r in p.randomness:
            for fault in Fault:
                if fault != Fault.NONE and byz < 0:
                    continue
                faults = (fault,) + (Fault.NONE,) * (p.n_blocks - 1)
                for available in ((1 << p.n_blocks) - 1, 1):
                    # an invalid parablock was backed by the byzantine validator; parablock
                    # b of a valid one by honest validator b
                    backers = tuple((1 << byz) if faults[b] != Fault.NONE else (1 << b) for b in range(p.n_blocks))
                    yield ApprovalState(
                        randomness=r, faults=faults, available=available, backers=backers,
                        valid=backers, invalid=(0,) * p.n_blocks, status=(Status.PENDING,) * p.n_blocks)

    def actions(self, s: ApprovalState):
        p = self.params
        two_f = 2 * p.f
        if not self.is_open(s):
            return
        for v in range(p.n_validators):
            for b in range(p.n_blocks):
                if not (s.available >> b) & 1 or ((s.valid[b] | s.invalid[b]) >> v) & 1:
                    continue  # nothing to check (APR-2) or already attested
                if v == p.byzantine:
                    for verdict in Verdict:
                        vrf = self.get_vrf(s, v, b, 0)
                        yield Attest(v, b, verdict, vrf)
                        yield Attest(v, b, verdict, (vrf + 1) % p.vrf_range)  # a forged VRF
                else:
                    # obtaining the whole parablock from a backer (``WHOLE``) leads to the
                    # same state as a reconstruction; the explorer tries the two piece counts
                    yield Check(v, b, two_f + 1)
                    yield Check(v, b, two_f)
        if s.stake < p.max_stake:
            yield Report()
        if not s.equivocated:
            yield Equivocate()
        yield Tick()

    def is_open(self, s: ApprovalState) -> bool:
        return s.time <= self.params.window

    @implements("APR-9")
    def is_window_over(self, time: int) -> bool:
        """APR-9: parablocks are decided when the approval window (``window`` blocks) ends."""
        return time > self.params.window

    def _check_target(self, s: ApprovalState, v: int, b: int) -> None:
        p = self.params
        require(self.is_open(s), "APR-9", "the approval window is closed")
        require(0 <= v < p.n_validators, "APR-1", f"no validator {v}")
        require(0 <= b < p.n_blocks and (s.available >> b) & 1, "APR-2", f"parablock {b} was not available")
        require(not ((s.valid[b] | s.invalid[b]) >> v) & 1, "APR-1", f"validator {v} already attested on {b}")
        require(self.is_assigned(s, v, b), "APR-1", f"validator {v} is not assigned to parablock {b} now")

    def _record(self, s: ApprovalState, v: int, b: int, verdict: Verdict) -> ApprovalState:
        bit = 1 << v
        if verdict == Verdict.VALID:
            valid = s.valid[:b] + (s.valid[b] | bit,) + s.valid[b + 1:]
            return attrs.evolve(s, valid=valid)
        invalid = s.invalid[:b] + (s.invalid[b] | bit,) + s.invalid[b + 1:]
        return attrs.evolve(s, invalid=invalid)

    def process_check(self, s: ApprovalState, a: Check) -> ApprovalState:
        require(a.validator != self.params.byzantine, "APR-8", "the byzantine validator's node is not modelled")
        self._check_target(s, a.validator, a.parablock)
        if a.pieces != WHOLE:
            require(self.may_reconstruct(a.pieces), "APR-7",
                    f"{a.pieces} erasure pieces cannot reconstruct the parablock (need more than 2f)")
        return self._record(s, a.validator, a.parablock, self.compute_verdict(s, a.parablock))

    @implements("APR-1")
    def verify_vrf(self, s: ApprovalState, v: int, b: int, vrf: int) -> bool:
        """APR-1: the attestation's VRF is the validator's VRF output for the parablock."""
        return any(vrf == self.get_vrf(s, v, b, h) for h in self.get_hashes(s))

    def process_attest(self, s: ApprovalState, a: Attest) -> ApprovalState:
        self._check_target(s, a.validator, a.parablock)
        require(self.verify_vrf(s, a.validator, a.parablock, a.vrf), "APR-1",
                f"the attestation's VRF {a.vrf} does not verify")
        return self._record(s, a.validator, a.parablock, a.verdict)

    def process_report(self, s: ApprovalState, a: Report) -> ApprovalState:
        require(self.is_open(s), "APR-5", "the approval window is closed")
        require(s.stake < self.params.max_stake, "APR-5", "exploration bound on fishermen stake")
        return attrs.evolve(s, stake=s.stake + 1)

    def process_equivocate(self, s: ApprovalState, a: Equivocate) -> ApprovalState:
        require(self.is_open(s) and not s.equivocated, "APR-6", "already equivocated or closed")
        return attrs.evolve(s, equivocated=True)

    def process_tick(self, s: ApprovalState, a: Tick) -> ApprovalState:
        require(self.is_open(s), "APR-9", "the approval window is closed")
        time = s.time + 1
        if self.is_window_over(time):
            status = tuple(self.compute_status(s, b) if (s.available >> b) & 1 else Status.PENDING
                           for b in range(self.params.n_blocks))
            return attrs.evolve(s, time=time, status=status)
        return attrs.evolve(s, time=time)

"""The Inclusion module of the composed runtime: [IG §2.5.6].

Rules INC-20 .. INC-29 of ``spec/inclusion_runtime.md``, built on the spine's rules:
the bitfield checks and the free-core rule are ``model.availability.check_bitfield``
and ``counted_bits`` (AV-1 .. AV-5; ``sanitize_bitfields`` under reading=sdk, INC-31), availability is
``model.inclusion.is_candidate_available`` (INC-7 / AV-6), the timeout is
``model.inclusion.is_candidate_timed_out`` (INC-8) behind the scheduler's predicate,
and backing is ``model.thresholds.is_backable`` (INC-4) over the group the scheduler
assigned (INC-3). Each is called through a method here, so a mutant of the runtime
can break one.

The module's routines read and write the Paras module (``enact_candidate`` calls
``schedule_code_upgrade`` and ``note_new_head``): it is a mixin of the composed
runtime, whose other mixins provide those routines.
"""

from __future__ import annotations

from typing import Callable

import attrs

from ..availability import SignBitfield, check_bitfield, counted_bits, sanitize_bitfields
from ..readings import is_sdk
from ..config import HostConfiguration
from ..core import require
from ..inclusion import is_candidate_available
from ..rules import implements
from ..thresholds import is_backable
from .common import FMap, mdel, mget, mhas, mset, replace
from .paras import ParasState
from .scheduler import CoreAssignment, SchedulerState

__all__ = [
    "BackedCandidate",
    "CandidatePendingAvailability",
    "InclusionStorage",
    "InclusionModule",
]


@attrs.frozen
class BackedCandidate:
    """A backed candidate as carried by the inclusion inherent.

    ``backers`` are the validator indices whose validity statements back it;
    ``signers[i]`` is whose key signed ``backers[i]``'s statement (``None``: the
    backers themselves), so a forged statement is explicit. ``new_code`` is the
    validation code the candidate upgrades its para to, if any. Its relay parent is
    the parent of the block that carries it (decision INC-D20).
    """

    para: int
    head: int
    backers: tuple[int, ...]
    signers: tuple[int, ...] | None = None
    new_code: int | None = None


@attrs.frozen
class CandidatePendingAvailability:
    core: int
    para: int
    head: int
    new_code: int | None
    #: availability votes: one bit per validator
    votes: int
    relay_parent: int
    backed_in: int


@attrs.frozen(cache_hash=True)
class InclusionStorage:
    """``PendingAvailability``. The seed's ``bitfields`` storage (the latest bitfield of
    each validator) is not kept: nothing reads it, a block's bitfields act on the
    pending candidates in that block (decision INC-D21)."""

    #: para -> CandidatePendingAvailability
    pending: tuple[tuple[int, CandidatePendingAvailability], ...] = ()  # FMap


class InclusionModule:
    """Rule methods and routines of the Inclusion module."""

    # -- rules (each delegates to the spine's one implementation) -----------------------------
    @implements("INC-20", "AV-1", "AV-4")
    def check_bitfield(self, bf: SignBitfield, n_validators: int, n_cores: int, next_validator: int) -> None:
        """INC-20: the AV-1 .. AV-4 checks of one bitfield of the block."""
        check_bitfield(bf, n_validators, n_cores, next_validator)

    @implements("INC-20", "AV-5")
    def counted_bits(self, bf: SignBitfield, live: int, cfg: HostConfiguration) -> int:
        """INC-20 (AV-5): the bits of a bitfield that count, given its 1 bits for cores
        without a pending candidate (decision AV-D2)."""
        return counted_bits(bf, live, cfg.free_core_bit)

    @implements("INC-31")
    def sanitize_bitfields(self, bitfields: tuple[SignBitfield, ...], n_validators: int,
                           n_cores: int) -> tuple[SignBitfield, ...]:
        """INC-31 (reading=sdk): drop each bitfield that fails AV-1 .. AV-4, not the block."""
        return sanitize_bitfields(bitfields, n_validators, n_cores, self.check_bitfield)

    @implements("INC-21", "INC-7", "AV-6")
    def is_available(self, votes: int, n_validators: int) -> bool:
        """INC-21 (INC-7, AV-6): more than 2/3 of the session's validators."""
        return is_candidate_available(votes, n_validators)

    @implements("INC-25", "INC-4")
    def is_backed(self, n_backers: int, group_size: int, cfg: HostConfiguration) -> bool:
        """INC-25 (INC-4): enough statements of the assigned group."""
        return is_backable(n_backers, group_size, cfg.backing_threshold, cfg.minimum_backing_votes)

    @implements("INC-24")
    def is_upgrade_allowed(self, scheduled: int | None, last_applied: int | None, relay_parent: int,
                           cfg: HostConfiguration) -> bool:
        """INC-24: a candidate may carry a code upgrade only while none is scheduled for
        its para (decision INC-D26), and at least ``validation_upgrade_frequency``
        blocks after the para's last applied upgrade."""
        if scheduled is not None:
            return False
        if last_applied is None:
            return True
        return last_applied <= relay_parent and relay_parent - last_applied >= cfg.validation_upgrade_frequency

    # -- routines ---------------------------------------------------------------------------------
    def get_live_cores(self, inc: InclusionStorage, core_lookup: Callable[[int], int | None]) -> int:
        """Bitmask of the cores holding a candidate pending availability (as the core
        lookup sees them)."""
        live = 0
        for para, cpa in inc.pending:
            if core_lookup(cpa.core) == para:
                live |= 1 << cpa.core
        return live

    @implements("INC-20", "INC-21")
    def process_bitfields(self, inc: InclusionStorage, ps: ParasState, bitfields: tuple[SignBitfield, ...],
                          n_validators: int, n_cores: int, core_lookup: Callable[[int], int | None], now: int,
                          cfg: HostConfiguration) -> tuple[InclusionStorage, ParasState, tuple[int, ...]]:
        """``process_bitfields`` (INC-20, INC-21): check the block's bitfields, apply
        their bits to the pending candidates, enact every candidate that now has more
        than 2/3 of the bits, and return the cores freed that way (ascending)."""
        if is_sdk(cfg):  # INC-31: the bad bitfields are dropped (decision INC-D27)
            bitfields = self.sanitize_bitfields(bitfields, n_validators, n_cores)
        require(len(bitfields) <= n_validators, "AV-3",
                f"{len(bitfields)} bitfields for {n_validators} validators")
        live = self.get_live_cores(inc, core_lookup)
        # validators (a bitmask) per distinct bit pattern: bitfields are mostly alike, so
        # the per-core votes are then built once per pattern, not once per bitfield
        signers_of: dict[int, int] = {}
        next_validator = 0
        for bf in bitfields:
            self.check_bitfield(bf, n_validators, n_cores, next_validator)
            next_validator = bf.validator + 1
            bits = self.counted_bits(bf, live, cfg)
            if bits:
                signers_of[bits] = signers_of.get(bits, 0) | (1 << bf.validator)
        votes = [0] * n_cores
        for bits, signers in signers_of.items():
            while bits:
                low = bits & -bits
                votes[low.bit_length() - 1] |= signers
                bits ^= low
        pending = inc.pending
        enacted = []
        for para, cpa in inc.pending:
            add = votes[cpa.core] if 0 <= cpa.core < n_cores else 0
            if add:
                cpa = replace(cpa, votes=cpa.votes | add)
                pending = mset(pending, para, cpa)
            if self.is_available(cpa.votes, n_validators):
                enacted.append(cpa)
        enacted.sort(key=lambda c: c.core)
        for cpa in enacted:
            pending = mdel(pending, cpa.para)
            ps = self.enact_candidate(ps, cpa, now, cfg)
        return InclusionStorage(pending=pending), ps, tuple(c.core for c in enacted)

    @implements("INC-22")
    def enact_candidate(self, ps: ParasState, cpa: CandidatePendingAvailability, now: int,
                        cfg: HostConfiguration) -> ParasState:
        """``enact_candidate`` (INC-22): schedule the candidate's code upgrade for
        ``validation_upgrade_delay`` blocks from its relay parent (``reading=seed``) or from
        ``now``, the enacting block (``reading=sdk``; decision INC-D28), then note its new head."""
        if cpa.new_code is not None:
            ps = self.process_schedule_code_upgrade(ps, cpa.para, cpa.new_code,
                                                    self.candidate_upgrade_expected_at(cpa.relay_parent, now, cfg))
        return self.process_note_new_head(ps, cpa.para, cpa.head, cpa.relay_parent, now)

    @implements("INC-27")
    def collect_pending(self, inc: InclusionStorage,
                        predicate: Callable[[int, int], bool]) -> tuple[InclusionStorage, tuple[int, ...]]:
        """``collect_pending`` (INC-27): drop the pending candidates whose core and
        pending-since block satisfy ``predicate``; return their cores (ascending)."""
        pending = inc.pending
        freed = []
        for para, cpa in inc.pending:
            if predicate(cpa.core, cpa.backed_in):
                pending = mdel(pending, para)
                freed.append(cpa.core)
        return replace(inc, pending=pending), tuple(sorted(freed))

    @implements("INC-23", "INC-26")
    def process_candidates(self, inc: InclusionStorage, ps: ParasState, ss: SchedulerState,
                           backed: tuple[BackedCandidate, ...], now: int,
                           cfg: HostConfiguration) -> tuple[InclusionStorage, tuple[int, ...]]:
        """``process_candidates`` (INC-23 .. INC-26): each candidate is for a scheduled
        core, in ascending para order; its code upgrade respects the upgrade
        frequency; its backing is by the assigned group; it becomes pending
        availability with no votes. Returns the newly occupied cores (ascending)."""
        by_para: dict[int, CoreAssignment] = {a.para: a for a in ss.scheduled}
        relay_parent = now - 1
        pending = inc.pending
        occupied = []
        prev = None
        for cand in backed:
            require(prev is None or cand.para > prev, "INC-23",
                    f"backed candidates are not in ascending para order ({prev} then {cand.para})")
            prev = cand.para
            a = by_para.get(cand.para)
            require(a is not None, "INC-23", f"para {cand.para} is not scheduled on any core")
            require(not mhas(pending, cand.para), "INC-6", f"para {cand.para} already has a candidate pending")
            if cand.new_code is not None:
                scheduled = mget(ps.future_code_upgrades, cand.para)
                last = self.get_last_code_upgrade(ps, cand.para, include_future=False)
                require(self.is_upgrade_allowed(scheduled, last, relay_parent, cfg), "INC-24",
                        f"para {cand.para} cannot upgrade at relay parent {relay_parent}: "
                        + (f"an upgrade is already scheduled for block {scheduled}" if scheduled is not None else
                           f"within validation_upgrade_frequency ({cfg.validation_upgrade_frequency}) "
                           f"of its last upgrade ({last})"))
            self.check_backing(ss, a, cand, cfg)
            pending = mset(pending, cand.para, CandidatePendingAvailability(
                core=a.core, para=cand.para, head=cand.head, new_code=cand.new_code, votes=0,
                relay_parent=relay_parent, backed_in=now))
            occupied.append(a.core)
        return replace(inc, pending=pending), tuple(sorted(occupied))

    @implements("INC-25", "INC-3", "INC-4")
    def check_backing(self, ss: SchedulerState, a: CoreAssignment, cand: BackedCandidate,
                      cfg: HostConfiguration) -> None:
        """INC-25 (INC-3, INC-4): every statement is signed by its validator, who is in
        the group assigned to the core, and the statements meet the backing threshold."""
        group = self.get_group_validators(ss, a.group) if a.group is not None else None
        require(group is not None, "INC-25", f"core {a.core} has no assigned group")
        signers = cand.backers if cand.signers is None else cand.signers
        require(len(signers) == len(cand.backers) and all(s == b for s, b in zip(signers, cand.backers)), "INC-25",
                f"a backing statement of para {cand.para}'s candidate is not signed by its validator")
        require(all(x < y for x, y in zip(cand.backers, cand.backers[1:])), "INC-25",
                f"backers of para {cand.para}'s candidate are repeated or not ascending")
        for v in cand.backers:
            require(v in group, "INC-3", f"validator {v} is not in group {a.group} assigned to core {a.core}")
        require(self.is_backed(len(cand.backers), len(group), cfg), "INC-4",
                f"{len(cand.backers)} statements do not back para {cand.para}'s candidate "
                f"(group of {len(group)}, {cfg.backing_threshold} threshold)")

    @implements("INC-28")
    def process_inclusion_session_change(self, inc: InclusionStorage) -> InclusionStorage:
        """INC-28: a session change clears the pending candidates (and the bitfields, not
        kept in this model: INC-D21)."""
        return InclusionStorage()

    def get_pending(self, inc: InclusionStorage, para: int) -> CandidatePendingAvailability | None:
        return mget(inc.pending, para)

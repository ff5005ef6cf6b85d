"""Parachain code upgrades: the off-chain upgrade counter ([RFC-UPG], the RFC) beside the
legacy on-chain path ([IG §2.5.4] ``schedule_code_upgrade`` / ``note_new_head`` and
[IG §2.5.6] ``process_candidates`` step 2 / ``enact_candidate`` step 1).

Rules UPG-1 .. UPG-24 and decisions UPG-D1 .. UPG-D15 of ``spec/upgrades.md``.

One parachain is modelled (decision UPG-D11), with what the upgrade rules need:

* a relay-chain **block** (:class:`Block`) runs, in order, the session change (if any,
  which also rotates the para's backing group), the per-block timers, availability
  (the block's bitfields include the candidate pending on the para's core, or it times
  out) and the backing of the para's next candidate, which carries nothing, a
  ``RequestCodeUpgrade(hash, size)`` (new path) or the code itself (legacy path); the
  upgrade bookkeeping hangs off those events (backed, included, dropped);
* **holdings**: which validator holds which code, one bitmask over code ids per
  validator; fetches (:class:`Fetch`) add to them, and at the end of every step each
  validator drops the codes it may prune (UPG-21, eager pruning: decision UPG-D10);
* PVF **pre-checking** statements (:class:`PrecheckVote`) with polkadot-sdk's
  thresholds, the ballots reset and aged at each session change;
* **finality** (:class:`Finalize`) of included candidates, in order, tracked by the
  code they were validated with.

Each input has its ``process_<input>`` method (``Machine.step`` dispatches to it):
guards first, then the effect, each stage of a block a function from an immutable
state to the next, built with ``attrs.evolve``. The rules are methods that read a
state without changing it, so a mutant overrides exactly one rule.

Code ids: 0 is the genesis code; every admitted upgrade (either path) gets the next id,
ids are never reused. Sizes are abstract units. Exploration stays finite because block
numbers appear only as small down-counting timers and ``max_upgrades`` bounds the ids.
"""

from __future__ import annotations

import enum
from operator import attrgetter
from typing import Any

import attrs

from .config import ConfigError
from .readings import check_reading
from .core import Machine, Rejected, register_machine, require
from .groups import partition
from .rules import implements
from .thresholds import (
    BACKING_THRESHOLDS,
    is_backable,
    is_more_than_two_thirds,
    is_pvf_check_accepted,
    is_pvf_check_rejected,
)

__all__ = [
    "UpgradeConfig",
    "UPGRADE_PRESETS",
    "Kind",
    "Phase",
    "COLLATOR",
    "Fetch",
    "PrecheckVote",
    "Block",
    "Finalize",
    "Pending",
    "Upgrade",
    "Legacy",
    "UpgradeEvent",
    "UpgradeState",
    "UpgradesMachine",
]


# -- parameters --------------------------------------------------------------------------------


@attrs.frozen
class UpgradeConfig:
    """Parameters of the ``upgrades`` machine (the table in ``spec/upgrades.md``); the
    named sets are :data:`UPGRADE_PRESETS`."""

    name: str = "custom"
    #: the reading of the whole host, ``seed`` or ``sdk`` (CFG-D5, ``model/readings.py``)
    reading: str = "seed"
    n_validators: int = 4
    #: availability cores: the validators are partitioned into one backing group per
    #: core ([IG §2.5.5]), and the para's core is assigned ``groups[rotation]`` (UPG-24)
    n_cores: int = 2
    backing_threshold: str = "majority"
    minimum_backing_votes: int = 2
    availability_period: int = 2
    # -- the RFC's parameters --------------------------------------------------------------------
    #: value of the counter once the signalling candidate is backed (RFC example: 10)
    counter_start: int = 2
    #: largest acceptable code (abstract size units); larger code is voted down
    max_code_size: int = 3
    #: storage deposit per unit of declared size (decision UPG-D2)
    deposit_per_byte: int = 1
    #: what the para can reserve for code deposits in total
    deposit_balance: int = 4
    genesis_code_size: int = 1
    # -- pre-checking and enactment -------------------------------------------------------------
    #: session changes after which an open pre-checking vote is rejected (sdk pvf_voting_ttl)
    pvf_voting_ttl: int = 2
    #: session changes between pre-checking acceptance and enactment (decision UPG-D6)
    enactment_session_changes: int = 2
    # -- legacy path ---------------------------------------------------------------------------------
    #: blocks after an enactment during which no new upgrade is admitted (UPG-4)
    upgrade_frequency: int = 2
    #: blocks between the inclusion of a legacy upgrade and its enactment (UPG-20)
    upgrade_delay: int = 2
    # -- exploration bounds (model only) ---------------------------------------------------------------
    #: code ids the exploration may allocate (upgrades admitted, both paths together)
    max_upgrades: int = 2
    #: declared sizes the explorer offers with a signal
    request_sizes: tuple[int, ...] = (1, 4)

    @property
    def groups(self) -> tuple[tuple[int, ...], ...]:
        """The backing groups: the validators partitioned into ``n_cores`` groups, the
        first ``n_validators mod n_cores`` one larger (as the host's, SCH-3)."""
        return tuple(tuple(g) for g in partition(list(range(self.n_validators)), self.n_cores))

    @classmethod
    def rfc(cls) -> "UpgradeConfig":
        """The RFC's example values (counter 10) at the ``polkadot`` sizes: the
        interpreter's preset (``UpgradesMachine(UpgradeConfig.rfc())``)."""
        return UPGRADE_PRESETS["polkadot"]

    def validate(self) -> "UpgradeConfig":
        for name in ("n_validators", "n_cores", "minimum_backing_votes", "availability_period",
                     "deposit_per_byte", "genesis_code_size", "pvf_voting_ttl", "max_upgrades"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ConfigError(name, "UPG-D11", f"must be a positive integer, got {v!r}")
        for name in ("counter_start", "max_code_size", "deposit_balance", "enactment_session_changes",
                     "upgrade_frequency", "upgrade_delay"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ConfigError(name, "UPG-D11", f"must be a non-negative integer, got {v!r}")
        if self.n_cores > self.n_validators:
            raise ConfigError("n_cores", "UPG-D11",
                              f"{self.n_validators} validators cannot form {self.n_cores} non-empty groups")
        if self.backing_threshold not in BACKING_THRESHOLDS:
            raise ConfigError("backing_threshold", "UPG-D11",
                              f"must be one of {', '.join(BACKING_THRESHOLDS)}, got {self.backing_threshold!r}")
        if self.genesis_code_size > self.max_code_size:
            raise ConfigError("genesis_code_size", "UPG-D1", "the genesis code must fit max_code_size")
        if not self.request_sizes or any(not isinstance(s, int) or isinstance(s, bool) or s < 1
                                         for s in self.request_sizes):
            raise ConfigError("request_sizes", "UPG-D11", "must be positive sizes")
        check_reading(self)
        return self


#: The presets. ``tiny``/``trio``/``small`` are explored exhaustively (counter start 2,
#: 3 on ``small``); ``polkadot`` carries the RFC's example values for the interpreter
#: (counter 10) at the sizes of the host's ``polkadot`` preset. Validators, cores,
#: the backing reading, ``max_code_size`` and the legacy timing are those of the host
#: preset of the same name (``model.config``).
#: The exhaustive presets judge availability within one block (``availability_period``
#: 1, decision UPG-D11): bits are per block here, so a second block of voting only adds
#: an idle block, which the para's next block covers.
_EXPLORED = dict(counter_start=2, deposit_per_byte=1, deposit_balance=4, genesis_code_size=1, pvf_voting_ttl=2,
                 enactment_session_changes=2, max_upgrades=2, request_sizes=(1, 4), availability_period=1)
UPGRADE_PRESETS: dict[str, UpgradeConfig] = {
    p.name: p.validate()
    for p in (
        UpgradeConfig(name="tiny", n_validators=4, n_cores=2, **_EXPLORED),
        UpgradeConfig(name="trio", n_validators=3, n_cores=2, **_EXPLORED),
        UpgradeConfig(name="small", n_validators=5, n_cores=2, **{**_EXPLORED, "counter_start": 3}),
        UpgradeConfig(name="polkadot", n_validators=1000, n_cores=100, backing_threshold="sdk",
                      minimum_backing_votes=2, availability_period=10, counter_start=10,
                      max_code_size=3 * 1024 * 1024, deposit_per_byte=1, deposit_balance=8 * 1024 * 1024,
                      genesis_code_size=1024 * 1024, pvf_voting_ttl=2, enactment_session_changes=2,
                      upgrade_frequency=600, upgrade_delay=600, max_upgrades=1_000_000,
                      request_sizes=(2 * 1024 * 1024, 4 * 1024 * 1024)),
    )
}


# -- values ----------------------------------------------------------------------------------------


class Kind(enum.IntEnum):
    """What a candidate carries about upgrades (UPG-1)."""

    PLAIN = 0
    #: ``RequestCodeUpgrade(hash, size)``: the new path
    REQUEST = 1
    #: the code itself: the legacy path
    LEGACY = 2


class Phase(enum.IntEnum):
    """Phases of a new-path upgrade in flight."""

    #: the signalling candidate is backed and pending availability; (hash, counter) exposed
    SIGNALLED = 1
    #: the signalling candidate is included; further candidates count the counter down
    COUNTING = 2
    #: the candidate backed at counter 0 is included; PVF pre-checking vote open
    PRECHECK = 3
    #: pre-checking accepted; waiting for session changes, then enactment
    ACCEPTED = 4


#: ``Fetch.source`` for the para's collator
COLLATOR = -1


@attrs.frozen
class Fetch:
    """``validator`` requests code ``code`` by hash from ``source`` (a validator, or
    :data:`COLLATOR`). A request to a source that does not serve it fails; a request
    that is never answered is a fetch that does not happen."""

    validator: int
    code: int
    source: int


@attrs.frozen
class PrecheckVote:
    """``validator``'s PVF pre-checking statement on the upgrade's code."""

    validator: int
    accept: bool


@attrs.frozen
class Block:
    """A relay-chain block of the para's view.

    In order: a session change if ``session``; the per-block timers; the availability
    bitfields ``bits`` (one bit per validator: its 1 for the para's pending candidate);
    then, if ``kind`` is not None, a candidate of that kind backed by ``backers`` (a
    bitmask over the group), declaring or carrying code of ``size``.
    """

    session: bool = False
    bits: int = 0
    kind: Kind | None = None
    size: int = 0
    backers: int = 0


@attrs.frozen
class Finalize:
    """Finality advances over the included candidates validated with the oldest code
    still disputable: all of them, or (``partial``) some, at least the first."""

    partial: bool = False


@attrs.frozen
class Pending:
    """The candidate pending availability on the para's core."""

    #: the code it was validated with (the para's code when it was backed)
    code: int
    #: REQUEST only for a signalling candidate whose request was admitted
    kind: Kind
    #: backed while the counter was 0 (its inclusion starts pre-checking)
    at_zero: bool = False
    #: blocks of availability voting so far
    age: int = 0


@attrs.frozen
class Upgrade:
    """A new-path upgrade in flight."""

    code: int
    phase: Phase
    counter: int
    #: pre-checking ballots of the current session (bitmasks over validators)
    accepts: int = 0
    rejects: int = 0
    #: session changes the pre-checking vote has seen
    age: int = 0
    #: session changes since acceptance (capped at what enactment needs)
    sessions: int = 0


@attrs.frozen
class Legacy:
    """A legacy upgrade in flight: backed (its candidate pending), then scheduled."""

    code: int
    scheduled: bool = False
    #: blocks left before it may be enacted (once scheduled)
    wait: int = 0


@attrs.frozen
class UpgradeEvent:
    """The per-block event of the RFC: the upgrade's hash (code id), its counter, and
    how many para blocks are still to go before it is passed to pre-checking (UPG-22)."""

    code: int
    counter: int
    blocks_to_go: int


@attrs.frozen(cache_hash=True)
class UpgradeState:
    #: the para's current validation code
    current: int
    #: per validator: bitmask over code ids it holds
    holdings: tuple[int, ...]
    #: per code id allocated so far: its size
    sizes: tuple[int, ...]
    pending: Pending | None = None
    upgrade: Upgrade | None = None
    legacy: Legacy | None = None
    #: blocks before a new upgrade may be admitted (UPG-4)
    cooldown: int = 0
    #: codes of included candidates not yet finalized (bitmask over code ids)
    disputable: int = 0
    #: the newest code some finalized candidate was validated with
    final_code: int = 0
    #: codes ever enacted (bitmask)
    enacted: int = 1
    #: codes brought by the new path (off-chain, bitmask)
    offchain: int = 0
    #: codes whose deposit is reserved (bitmask)
    deposits: int = 0
    #: ghost: upgrades admitted that left flight (enacted, rejected or dropped)
    finished: int = 0
    #: index of the group assigned to the para's core (rotates at session changes)
    rotation: int = 0

    @property
    def next_code(self) -> int:
        """The id the next admitted upgrade gets."""
        return len(self.sizes)


#: attrs class -> (getter of all its fields, field name -> position), for :func:`_evolve`
_SHAPES: dict[type, tuple[Any, dict[str, int]]] = {}


def _evolve(obj: Any, **changes: Any) -> Any:
    """``attrs.evolve(obj, **changes)`` in about half the time, for the frozen classes of
    this module (a block builds several states on its way to the next one); their
    fields are all positional arguments of ``__init__``, in order."""
    cls = type(obj)
    shape = _SHAPES.get(cls)
    if shape is None:
        names = [f.name for f in attrs.fields(cls)]
        get = attrgetter(*names) if len(names) > 1 else (lambda o, n=names[0]: (getattr(o, n),))
        shape = _SHAPES[cls] = (get, {n: i for i, n in enumerate(names)})
    get, index = shape
    values = list(get(obj))
    for name, value in changes.items():
        values[index[name]] = value
    return cls(*values)


# -- the machine --------------------------------------------------------------------------------------


@register_machine
class UpgradesMachine(Machine):
    """Off-chain upgrade counter (RFC) and legacy on-chain upgrades of one para."""

    name = "upgrades"
    area = "upgrades"
    description = ("code upgrades: the off-chain counter, fetching, pre-checking, enactment and "
                   "pruning ([RFC-UPG]) beside the legacy on-chain path ([IG §2.5.4], [IG §2.5.6])")

    Params = UpgradeConfig
    presets = UPGRADE_PRESETS
    parameter_conditions = {"minimum_backing_votes": ("backing_threshold", "sdk")}

    def __init__(self, params):
        super().__init__(params)
        #: the backing groups (``UpgradeConfig.groups``), and each as a bitmask of validators
        self.groups = params.groups
        self.group_masks = tuple(sum(1 << v for v in g) for g in self.groups)

    # == rules (methods, so that a mutant overrides one) ====================================================
    # They read a state ("s") and do not change it.

    # -- candidate pipeline (UPG-24) ---------------------------------------------------------------------
    @implements("UPG-24")
    def get_group(self, s) -> tuple[int, ...]:
        """UPG-24: the backing group assigned to the para's core."""
        return self.groups[s.rotation]

    @implements("UPG-24")
    def compute_rotation_after_session(self, rotation: int) -> int:
        """UPG-24: the para's core moves to the next group at a session change."""
        return (rotation + 1) % len(self.groups)

    @implements("UPG-24", "TH-4")
    def is_backable(self, s, backers: int) -> bool:
        """UPG-24: the assigned group's valid statements meet the backing threshold (TH-4)."""
        p = self.params
        mask = self.group_masks[s.rotation]
        return is_backable((backers & mask).bit_count(), len(self.get_group(s)), p.backing_threshold,
                           p.minimum_backing_votes)

    @implements("UPG-24", "AV-6")
    def is_available(self, bits: int) -> bool:
        """UPG-24: more than 2/3 of the validators set their bit (AV-6)."""
        return is_more_than_two_thirds(bits.bit_count(), self.params.n_validators)

    @implements("UPG-24", "AV-7")
    def is_timed_out(self, age: int) -> bool:
        """UPG-24: the candidate had ``availability_period`` blocks of voting (AV-7)."""
        return age >= self.params.availability_period

    # -- holdings ------------------------------------------------------------------------------------------
    @staticmethod
    def holds(s, v: int, code: int) -> bool:
        return bool((s.holdings[v] >> code) & 1)

    @staticmethod
    def count_holders(s, code: int) -> int:
        return sum(1 for h in s.holdings if (h >> code) & 1)

    @staticmethod
    def get_pending_code(s) -> int | None:
        """The code of the upgrade in flight (either path), if any."""
        if s.upgrade is not None:
            return s.upgrade.code
        if s.legacy is not None:
            return s.legacy.code
        return None

    @implements("UPG-8")
    def is_live_code(self, s, code: int) -> bool:
        """UPG-8: the codes validators fetch: the para's current code and the code in flight."""
        return code == s.current or code == self.get_pending_code(s)

    # -- admission of a signal (UPG-3, UPG-4, UPG-5, UPG-18) --------------------------------------------------
    @implements("UPG-3")
    def has_upgrade_in_flight(self, s) -> bool:
        """UPG-3: one upgrade in flight per para, whichever path brought it."""
        return s.upgrade is not None or s.legacy is not None

    @implements("UPG-3")
    def has_upgrade_in_flight_for_legacy(self, s) -> bool:
        """UPG-3 as the legacy acceptance check applies it (decision UPG-D9): both paths."""
        return self.has_upgrade_in_flight(s)

    @implements("UPG-4")
    def is_cooling_down(self, s) -> bool:
        """UPG-4: within ``upgrade_frequency`` blocks of the para's last enactment."""
        return s.cooldown > 0

    @implements("UPG-5")
    def compute_deposit(self, size: int) -> int:
        """UPG-5: the storage deposit of a code of the declared size."""
        return size * self.params.deposit_per_byte

    def compute_reserved(self, s) -> int:
        return sum(self.compute_deposit(s.sizes[c]) for c in range(len(s.sizes)) if (s.deposits >> c) & 1)

    @implements("UPG-5")
    def is_deposit_funded(self, s, size: int) -> bool:
        """UPG-5: the para can reserve the deposit for the declared size."""
        return self.compute_reserved(s) + self.compute_deposit(size) <= self.params.deposit_balance

    @implements("UPG-2")
    def check_request(self, s, size: int) -> str | None:
        """The rule that makes a ``RequestCodeUpgrade`` inadmissible, or None (UPG-2)."""
        if self.has_upgrade_in_flight(s):
            return "UPG-3"
        if self.is_cooling_down(s):
            return "UPG-4"
        if not self.is_deposit_funded(s, size):
            return "UPG-5"
        return None

    @implements("UPG-1")
    def process_inadmissible_request(self, s, rule: str) -> None:
        """UPG-1: an inadmissible request is ignored; the candidate is backed anyway."""
        return None

    @implements("UPG-14", "UPG-18")
    def is_oversize(self, size: int) -> bool:
        """Code larger than ``max_code_size`` (UPG-14, UPG-18)."""
        return size > self.params.max_code_size

    @implements("UPG-18")
    def is_legacy_size_ok(self, size: int) -> bool:
        """UPG-18: a legacy candidate's code must fit ``max_code_size``."""
        return not self.is_oversize(size)

    @implements("UPG-18", "UPG-3", "UPG-4")
    def check_legacy(self, s, size: int) -> None:
        """UPG-18: ``process_candidates`` step 2, with UPG-3 and UPG-4, and the size check."""
        require(not self.has_upgrade_in_flight_for_legacy(s), "UPG-3", "the para already has an upgrade in flight")
        require(not self.is_cooling_down(s), "UPG-4",
                f"upgrade within validation_upgrade_frequency ({s.cooldown} blocks to go)")
        require(self.is_legacy_size_ok(size), "UPG-18",
                f"code of size {size} exceeds max_code_size {self.params.max_code_size}")

    # -- backing (UPG-6, UPG-7) -------------------------------------------------------------------------------
    def check_backers(self, s, backers: int) -> None:
        require(backers & ~self.group_masks[s.rotation] == 0, "UPG-24",
                "a statement from outside the para's backing group")
        require(self.is_backable(s, backers), "UPG-24", "the candidate lacks backing")
        for v in self.get_group(s):
            if (backers >> v) & 1:
                require(not self.lacks_current_code(s, v), "UPG-7",
                        f"backer {v} lacks the para's current code {s.current}")

    @implements("UPG-7")
    def lacks_current_code(self, s, v: int) -> bool:
        """UPG-7: a backer validates with the para's current code; it must hold it."""
        return not self.holds(s, v, s.current)

    @implements("UPG-6")
    def compute_blob_holders(self, backers: int) -> int:
        """UPG-6: the backers of a signalling candidate fetched its blob before attesting."""
        return backers

    # -- the counter (UPG-2, UPG-9, UPG-10, UPG-13, UPG-22) ---------------------------------------------------
    @implements("UPG-9")
    def compute_counter_after_backing(self, counter: int) -> int:
        """UPG-9: each further candidate backed decrements the counter, down to 0."""
        return counter - 1 if counter > 0 else 0

    @implements("UPG-9")
    def compute_counter_after_inclusion(self, counter: int) -> int:
        """UPG-9: inclusion leaves the counter alone (it counts backed candidates)."""
        return counter

    @implements("UPG-13")
    def starts_precheck(self, pending: Pending, upgrade: Upgrade) -> bool:
        """UPG-13: pre-checking starts when a candidate backed at counter 0 is included."""
        return pending.at_zero

    @implements("UPG-10")
    def drops_with_signal(self, upgrade: Upgrade) -> bool:
        """UPG-10: the request falls if its signalling candidate leaves without inclusion."""
        return upgrade.phase == Phase.SIGNALLED

    @implements("UPG-22")
    def compute_blocks_to_go(self, upgrade: Upgrade) -> int:
        """UPG-22: para blocks still to go before pre-checking: the counter's backings,
        the last of them also included; at counter 0 that inclusion is the one to go."""
        return max(upgrade.counter, 1)

    @implements("UPG-22")
    def get_upgrade_event(self, s) -> UpgradeEvent | None:
        """UPG-22: the event every block emits while the counter runs (a pure function of
        the state after the block)."""
        u = s.upgrade
        if u is None or u.phase not in (Phase.SIGNALLED, Phase.COUNTING):
            return None
        return UpgradeEvent(u.code, u.counter, self.compute_blocks_to_go(u))

    # -- availability bits (UPG-11, UPG-12) -------------------------------------------------------------------
    @implements("UPG-11")
    def lacks_active_code(self, s, v: int) -> bool:
        """UPG-11: a 1 bit needs the code the candidate is validated with ("hot" PVF)."""
        return not self.holds(s, v, s.pending.code)

    @implements("UPG-12")
    def lacks_pending_code(self, s, v: int) -> bool:
        """UPG-12: at counter 0 a 1 bit also needs the upgrade's code."""
        u = s.upgrade
        return u is not None and u.counter == 0 and not self.holds(s, v, u.code)

    def get_bit_eligible(self, s) -> int:
        """The validators that may sign a 1 for the pending candidate (bitmask)."""
        out = 0
        for v in range(self.params.n_validators):
            if not self.lacks_active_code(s, v) and not self.lacks_pending_code(s, v):
                out |= 1 << v
        return out

    def check_bits(self, s, bits: int) -> None:
        n = self.params.n_validators
        require(0 <= bits < (1 << n), "UPG-24", f"bitfield mask {bits} names no validator set")
        if s.pending is None:
            require(bits == 0, "UPG-24", "a 1 bit for a free core")
            return
        v = 0
        while bits >> v:
            if (bits >> v) & 1:
                require(not self.lacks_active_code(s, v), "UPG-11",
                        f"validator {v} lacks the candidate's code {s.pending.code}")
                require(not self.lacks_pending_code(s, v), "UPG-12",
                        f"the counter is 0 and validator {v} lacks the upgrade's code")
            v += 1

    # -- fetching (UPG-8) ---------------------------------------------------------------------------------------
    @implements("UPG-8")
    def serves(self, s, v: int, code: int, source: int) -> bool:
        """UPG-8: a validator serves the codes it holds; the collator serves the para's
        current code and the upgrade's blob to the para's backers."""
        if source == COLLATOR:
            return v in self.get_group(s) and self.is_live_code(s, code)
        return source != v and 0 <= source < self.params.n_validators and self.holds(s, source, code)

    # -- pre-checking (UPG-14, UPG-15, UPG-16) ---------------------------------------------------------------
    @implements("UPG-14")
    def must_vote_nay(self, size: int) -> bool:
        """UPG-14: code above ``max_code_size`` is voted down (decision UPG-D3)."""
        return self.is_oversize(size)

    def check_vote(self, s, v: int, accept: bool) -> None:
        u = s.upgrade
        require(u is not None and u.phase == Phase.PRECHECK, "UPG-14", "no pre-checking vote open")
        require(0 <= v < self.params.n_validators, "UPG-14", f"no validator {v}")
        require(not self.has_voted(u, v), "UPG-14", f"validator {v} already voted this session")
        require(self.holds(s, v, u.code), "UPG-14", f"validator {v} does not hold code {u.code} to check it")
        require(not (accept and self.must_vote_nay(s.sizes[u.code])), "UPG-14",
                f"code {u.code} exceeds max_code_size: an honest validator votes nay")

    @implements("UPG-14")
    def has_voted(self, u: Upgrade, v: int) -> bool:
        """UPG-14: one statement per validator and session."""
        return bool(((u.accepts | u.rejects) >> v) & 1)

    @implements("UPG-15")
    def is_precheck_accepted(self, accepts: int) -> bool:
        """UPG-15: the accepts reach the supermajority."""
        return is_pvf_check_accepted(accepts.bit_count(), self.params.n_validators)

    @implements("UPG-15")
    def is_precheck_rejected(self, rejects: int) -> bool:
        """UPG-15: the rejects exceed ``n - supermajority``."""
        return is_pvf_check_rejected(rejects.bit_count(), self.params.n_validators)

    @implements("UPG-16")
    def is_vote_expired(self, age: int) -> bool:
        """UPG-16: an open vote is rejected after ``pvf_voting_ttl`` session changes."""
        return age >= self.params.pvf_voting_ttl

    @implements("UPG-16")
    def compute_ballots_after_session(self, u: Upgrade) -> Upgrade:
        """UPG-16: a session change resets the ballots (statements are per session)."""
        return attrs.evolve(u, accepts=0, rejects=0)

    # -- enactment (UPG-17, UPG-20) ----------------------------------------------------------------------------
    @implements("UPG-17")
    def is_ready_to_enact(self, u: Upgrade) -> bool:
        """UPG-17: pre-checking accepted and the session changes have passed."""
        return u.phase == Phase.ACCEPTED and u.sessions >= self.params.enactment_session_changes

    @implements("UPG-20")
    def is_legacy_due(self, lg: Legacy) -> bool:
        """UPG-20: a scheduled legacy upgrade whose delay has elapsed."""
        return lg.scheduled and lg.wait == 0

    @implements("UPG-5")
    def compute_deposits_after_enactment(self, s, replaced: int) -> int:
        """UPG-5: the replaced code stays stored (and paid for) until it may be pruned."""
        return s.deposits

    # -- pruning (UPG-21) --------------------------------------------------------------------------------------
    @implements("UPG-21")
    def may_prune(self, s, code: int) -> bool:
        """UPG-21: never the current code or the code in flight; a replaced code only once
        the first candidate validated with a newer code is finalized."""
        if code == s.current or code == self.get_pending_code(s):
            return False
        if (s.enacted >> code) & 1:
            return s.final_code > code
        return True

    @implements("UPG-5")
    def compute_releasable(self, s) -> int:
        """UPG-5: the deposits of codes that may be pruned are released."""
        out = 0
        for c in range(len(s.sizes)):
            if (s.deposits >> c) & 1 and self.may_prune(s, c):
                out |= 1 << c
        return out

    # == machine ==================================================================================================
    def init(self):
        p = self.params
        # UPG-D1: the genesis code is registered on chain, so every validator has it
        yield UpgradeState(current=0, holdings=(1,) * p.n_validators, sizes=(p.genesis_code_size,))

    def actions(self, state: UpgradeState):
        p = self.params
        n = p.n_validators
        group = self.get_group(state)
        gmask = self.group_masks[state.rotation]
        holdings = state.holdings
        # fetches: each validator, each live code it lacks, from a source that serves it
        # (the collator for a backer; the first validator holding it), and from one that does not
        live = [state.current]
        pc = self.get_pending_code(state)
        if pc is not None and pc != state.current:
            live.append(pc)
        for c in live:
            holders = [u for u in range(n) if (holdings[u] >> c) & 1]
            for v in range(n):
                if (holdings[v] >> c) & 1:
                    continue
                if v in group:
                    yield Fetch(v, c, COLLATOR)
                good = next((u for u in holders if u != v), None)
                if good is not None:
                    yield Fetch(v, c, good)
                bad = next((u for u in range(n) if u != v and not (holdings[u] >> c) & 1), None)
                if bad is not None:
                    yield Fetch(v, c, bad)
        # pre-checking votes: each holder that has not voted, either way (an aye for an
        # oversize code is offered too, and rejected); once, a second vote or a non-holder's
        u = state.upgrade
        if u is not None and u.phase == Phase.PRECHECK:
            voted = u.accepts | u.rejects
            lacking = None
            for v in range(n):
                if (voted >> v) & 1:
                    continue
                if (holdings[v] >> u.code) & 1:
                    yield PrecheckVote(v, True)
                    yield PrecheckVote(v, False)
                elif lacking is None:
                    lacking = v
            if voted:
                v = (voted & -voted).bit_length() - 1
                yield PrecheckVote(v, not (u.accepts >> v) & 1)
            elif lacking is not None:
                yield PrecheckVote(lacking, False)
        # finality
        if state.disputable:
            yield Finalize(False)
            low = (state.disputable & -state.disputable).bit_length() - 1
            if low > state.final_code:
                yield Finalize(True)
        # relay-chain blocks: bitfields (none; every eligible validator's 1; once, one with
        # an ineligible validator's 1), times the candidate backed: none, plain, or a signal
        # of each size. What can be backed is judged on the state the backing sees (after
        # the block's session change, timers and availability): for an occupied core only
        # a plain candidate is offered (UPG-24 rejects it); while an upgrade is in flight or
        # the para cools down, one size (UPG-3 and UPG-4 are checked before the size).
        bit_options = [0]
        if state.pending is not None:
            eligible = self.get_bit_eligible(state)
            if eligible:
                bit_options.append(eligible)
            full = (1 << n) - 1
            if eligible != full:
                missing = full & ~eligible
                yield Block(False, eligible | (missing & -missing))
        signals = state.next_code <= p.max_upgrades  # exploration bound
        for session in (False, True):
            for bits in (bit_options if not session else (0,)):
                yield Block(session, bits)
                try:
                    mid = self.process_pruning(self.process_block_prefix(state, session, bits))
                except Rejected:
                    continue
                backers = self.group_masks[mid.rotation]
                yield Block(session, bits, Kind.PLAIN, 0, backers)
                if mid.pending is not None or not signals:
                    continue
                sizes = p.request_sizes
                if self.has_upgrade_in_flight(mid) or self.is_cooling_down(mid):
                    sizes = sizes[:1]
                for kind in (Kind.REQUEST, Kind.LEGACY):
                    for size in sizes:
                        yield Block(session, bits, kind, size, backers)
        # UPG-24: one candidate without enough backing, one backed by another group (in
        # quiet states only: they exercise the rule, not the upgrade bookkeeping)
        if state.pending is None and not self.has_upgrade_in_flight(state):
            lone = gmask & -gmask
            if not self.is_backable(state, lone):
                yield Block(False, 0, Kind.PLAIN, 0, lone)
            other = self.group_masks[self.compute_rotation_after_session(state.rotation)]
            if other != gmask:
                yield Block(False, 0, Kind.PLAIN, 0, other)

    @implements("UPG-22")
    def answer(self, state: UpgradeState, action, next_state: UpgradeState) -> UpgradeEvent | None:
        """A block's event while the counter runs (UPG-22); other inputs emit none."""
        return self.get_upgrade_event(next_state) if isinstance(action, Block) else None

    # == transitions: each reads an immutable state and returns the next one ======================================
    # One ``process_<action>`` per input class (``Machine.step`` dispatches to it): the
    # guards first, then the effect, then the pruning every step ends with (UPG-21).

    # -- node side -------------------------------------------------------------------------------------------------
    @implements("UPG-8")
    def process_fetch(self, s: UpgradeState, a: Fetch) -> UpgradeState:
        """UPG-8: a validator fetches a live code from a source that serves it."""
        n = self.params.n_validators
        require(0 <= a.validator < n, "UPG-8", f"no validator {a.validator}")
        require(0 <= a.code < s.next_code, "UPG-8", f"no code {a.code}")
        require(self.is_live_code(s, a.code), "UPG-8", f"code {a.code} is neither current nor in flight")
        require(self.serves(s, a.validator, a.code, a.source), "UPG-8",
                f"source {a.source} does not serve code {a.code} to validator {a.validator}")
        h = list(s.holdings)
        h[a.validator] |= 1 << a.code
        return self.process_pruning(_evolve(s, holdings=tuple(h)))

    @implements("UPG-21", "UPG-5")
    def process_pruning(self, s: UpgradeState) -> UpgradeState:
        """UPG-21 and UPG-5 at the end of every step: validators drop the codes they may
        prune, and the deposits of those codes are released (decision UPG-D10: pruning is
        eager, the worst case for every property, as a copy of a prunable code serves no
        rule)."""
        dead = 0
        for c in range(s.next_code):
            if self.may_prune(s, c):
                dead |= 1 << c
        if not dead:
            return s
        if any(h & dead for h in s.holdings):
            s = _evolve(s, holdings=tuple(h & ~dead for h in s.holdings))
        if s.deposits & dead:
            s = _evolve(s, deposits=s.deposits & ~self.compute_releasable(s))
        return s

    @implements("UPG-14", "UPG-15")
    def process_precheck_vote(self, s: UpgradeState, a: PrecheckVote) -> UpgradeState:
        """UPG-14, UPG-15: a pre-checking statement, and the vote's conclusion."""
        self.check_vote(s, a.validator, a.accept)
        u = s.upgrade
        bit = 1 << a.validator
        if a.accept:
            u = _evolve(u, accepts=u.accepts | bit)
        else:
            u = _evolve(u, rejects=u.rejects | bit)
        if self.is_precheck_accepted(u.accepts):
            s = _evolve(s, upgrade=_evolve(u, phase=Phase.ACCEPTED, sessions=0))
        elif self.is_precheck_rejected(u.rejects):
            s = self.fail_upgrade(_evolve(s, upgrade=u))
        else:
            s = _evolve(s, upgrade=u)
        return self.process_pruning(s)

    @implements("UPG-21")
    def process_finalize(self, s: UpgradeState, a: Finalize) -> UpgradeState:
        """Finality advances in order over the included candidates (UPG-21)."""
        require(s.disputable != 0, "UPG-21", "no included candidate awaits finality")
        low = (s.disputable & -s.disputable).bit_length() - 1
        disputable = s.disputable if a.partial else s.disputable & ~(1 << low)
        return self.process_pruning(_evolve(s, final_code=max(s.final_code, low), disputable=disputable))

    # -- relay chain -----------------------------------------------------------------------------------------------
    @implements("UPG-23")
    def fail_upgrade(self, s: UpgradeState) -> UpgradeState:
        """UPG-23: a rejected, expired or dropped upgrade leaves flight; the para keeps its
        code and may signal again at once (no cooldown). Its code is then prunable, so its
        deposit is released at the end of the step (UPG-5, UPG-21)."""
        return _evolve(s, upgrade=None, finished=s.finished + 1)

    @implements("UPG-17", "UPG-20", "UPG-4")
    def enact(self, s: UpgradeState, code: int) -> UpgradeState:
        """UPG-17, UPG-20: the para's code becomes ``code``; the cooldown starts (UPG-4)."""
        return _evolve(s, deposits=self.compute_deposits_after_enactment(s, s.current), current=code,
                            enacted=s.enacted | (1 << code), cooldown=self.params.upgrade_frequency,
                            upgrade=None, legacy=None, finished=s.finished + 1)

    def process_block(self, s: UpgradeState, a: Block) -> UpgradeState:
        """A relay-chain block: session change, timers, availability, then the backed
        candidate, if any."""
        s = self.process_block_prefix(s, a.session, a.bits)
        if a.kind is not None:
            # what the block's session change and inclusion made prunable (a failed
            # upgrade's code) is dropped, and its deposit released, before the backing
            s = self.process_backing(self.process_pruning(s), a.kind, a.size, a.backers)
        return self.process_pruning(s)

    def process_block_prefix(self, s: UpgradeState, session: bool, bits: int) -> UpgradeState:
        """A block up to its backed candidate: session change, timers, availability."""
        if session:
            s = self.process_session_change(s)
        return self.process_availability(self.process_timers(s), bits)

    def process_session_change(self, s: UpgradeState) -> UpgradeState:
        """[IG §2.5.6] (candidates pending availability are cleared), the group
        rotation (UPG-24), and the session-bound parts of UPG-16 and UPG-17."""
        if s.pending is not None:
            s = self.drop_pending(s)
        rotation = self.compute_rotation_after_session(s.rotation)
        u = s.upgrade
        if u is not None and u.phase == Phase.PRECHECK:
            u = _evolve(u, age=u.age + 1)
            if self.is_vote_expired(u.age):
                return self.fail_upgrade(_evolve(s, rotation=rotation))
            u = self.compute_ballots_after_session(u)
        elif u is not None and u.phase == Phase.ACCEPTED:
            u = _evolve(u, sessions=min(u.sessions + 1, self.params.enactment_session_changes))
        return _evolve(s, rotation=rotation, upgrade=u)

    def process_timers(self, s: UpgradeState) -> UpgradeState:
        cooldown = s.cooldown - 1 if s.cooldown > 0 else s.cooldown
        lg = s.legacy
        if lg is not None and lg.scheduled and lg.wait > 0:
            lg = Legacy(lg.code, True, lg.wait - 1)
        if cooldown == s.cooldown and lg is s.legacy:
            return s
        return _evolve(s, cooldown=cooldown, legacy=lg)

    def drop_pending(self, s: UpgradeState) -> UpgradeState:
        """The pending candidate leaves without inclusion (timeout or session change)."""
        p = s.pending
        s = _evolve(s, pending=None)
        if p.kind == Kind.REQUEST and s.upgrade is not None and self.drops_with_signal(s.upgrade):
            s = self.fail_upgrade(s)
        if p.kind == Kind.LEGACY and s.legacy is not None and not s.legacy.scheduled:
            s = _evolve(s, legacy=None, finished=s.finished + 1)
        return s

    def process_availability(self, s: UpgradeState, bits: int) -> UpgradeState:
        """``process_bitfields`` and ``collect_pending`` for the para's core."""
        self.check_bits(s, bits)
        p = s.pending
        if p is None:
            return s
        if self.is_available(bits):
            return self.include(s, p)
        if self.is_timed_out(p.age + 1):
            return self.drop_pending(s)
        return _evolve(s, pending=Pending(p.code, p.kind, p.at_zero, p.age + 1))

    def include(self, s: UpgradeState, p: Pending) -> UpgradeState:
        """``enact_candidate`` for the para's candidate, with the upgrade bookkeeping."""
        u = s.upgrade
        if u is not None:
            if u.phase == Phase.SIGNALLED and p.kind == Kind.REQUEST:
                u = _evolve(u, phase=Phase.COUNTING)
            if u.phase == Phase.COUNTING:
                u = _evolve(u, counter=self.compute_counter_after_inclusion(u.counter))
                if self.starts_precheck(p, u):
                    u = _evolve(u, phase=Phase.PRECHECK, accepts=0, rejects=0, age=0)
        lg = s.legacy
        if lg is not None and not lg.scheduled and p.kind == Kind.LEGACY:
            lg = Legacy(lg.code, True, self.params.upgrade_delay)
        s = _evolve(s, pending=None, disputable=s.disputable | (1 << p.code), upgrade=u, legacy=lg)
        # note_new_head: an upgrade that is due is enacted after this inclusion
        if u is not None and self.is_ready_to_enact(u):
            return self.enact(s, u.code)
        if lg is not None and self.is_legacy_due(lg):
            return self.enact(s, lg.code)
        return s

    @implements("UPG-24")
    def process_backing(self, s: UpgradeState, kind: Kind, size: int, backers: int) -> UpgradeState:
        """``process_candidates`` for the para's candidate (UPG-24), then its signal."""
        require(kind == Kind.PLAIN or size >= 1, "UPG-1", "a signal declares a positive code size")
        self.check_backers(s, backers)
        require(s.pending is None, "UPG-24", "the para's core is occupied")
        if kind == Kind.LEGACY:
            self.check_legacy(s, size)
        p = self.params
        u = s.upgrade
        if u is not None and u.phase in (Phase.SIGNALLED, Phase.COUNTING):
            u = _evolve(u, counter=self.compute_counter_after_backing(u.counter))
        at_zero = u is not None and u.counter == 0
        if kind == Kind.REQUEST:
            # the request is judged once the candidate has moved the counter
            seen = s if u is s.upgrade else _evolve(s, upgrade=u)
            rule = self.check_request(seen, size)
            if rule is None:
                code = s.next_code
                holders = self.compute_blob_holders(backers)
                holdings = tuple(h | (1 << code) if (holders >> v) & 1 else h for v, h in enumerate(s.holdings))
                return _evolve(s, upgrade=Upgrade(code, Phase.SIGNALLED, p.counter_start), sizes=s.sizes + (size,),
                               holdings=holdings, offchain=s.offchain | (1 << code),
                               deposits=s.deposits | (1 << code),
                               pending=Pending(s.current, kind, p.counter_start == 0))
            self.process_inadmissible_request(seen, rule)
            kind = Kind.PLAIN  # the candidate goes on as a plain one
        elif kind == Kind.LEGACY:
            code = s.next_code
            # UPG-19: the code is in the relay-chain block: every validator has it
            return _evolve(s, upgrade=u, legacy=Legacy(code), sizes=s.sizes + (size,),
                           holdings=tuple(h | (1 << code) for h in s.holdings),
                           pending=Pending(s.current, kind, at_zero))
        return _evolve(s, upgrade=u, pending=Pending(s.current, kind, at_zero))

    # == the interpreter's reports ==================================================================================
    @implements("UPG-22")
    def compute_block_events(self, pre: UpgradeState, action: Any, post: UpgradeState) -> tuple:
        """The events of one step, for parachain operators (RFC "Ergonomics", UPG-22):
        ``("initiated", code, counter)``; ``("counter", code, counter, blocks_to_go)``
        every block while the counter runs; ``("request_ignored", rule)``;
        ``("precheck_started", code)``; ``("precheck_accepted", code)``;
        ``("upgrade_failed", code)``; ``("code_enacted", code)``."""
        out: list[tuple] = []
        pu, tu = pre.upgrade, post.upgrade
        started = tu is not None and post.next_code > pre.next_code and tu.code == pre.next_code
        if started:
            out.append(("initiated", tu.code, tu.counter))
        elif isinstance(action, Block) and action.kind == Kind.REQUEST:
            mid = self.process_pruning(self.process_block_prefix(pre, action.session, action.bits))
            out.append(("request_ignored", self.check_request(mid, action.size)))
        if pu is not None and tu is not None and tu.phase == Phase.PRECHECK and pu.phase != Phase.PRECHECK:
            out.append(("precheck_started", tu.code))
        if tu is not None and tu.phase == Phase.ACCEPTED and (pu is None or pu.phase != Phase.ACCEPTED):
            out.append(("precheck_accepted", tu.code))
        if post.current != pre.current:
            out.append(("code_enacted", post.current))
        elif pu is not None and (tu is None or tu.code != pu.code):
            out.append(("upgrade_failed", pu.code))
        if isinstance(action, Block):
            ev = self.get_upgrade_event(post)
            if ev is not None:
                out.append(("counter", ev.code, ev.counter, ev.blocks_to_go))
        return tuple(out)

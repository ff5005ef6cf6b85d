"""The self-healing proof-of-authority validator set: [POA].

Rules POA-1 .. POA-10 of ``spec/poa.md``. A privileged (governance) origin adds and
removes validators; the pallet's validator list is handed to the session at each
rotation; every active, online validator sends a heartbeat each session; at the end of
a session the active validators without a heartbeat are reported offline and removed at
that rotation, unless that would take the set below its minimum size; a validator
removed only for being offline stays approved and may add itself back (only itself), one
removed by governance may not. The block-period arithmetic of the seed (10 authorities
of 6 s slots: one offline makes 10 blocks take at least 66 s) is in
:mod:`model.resilience` and is reported by :meth:`PoaMachine.describe`.

Validators are account indices; sets are bitmasks over them.
"""

from __future__ import annotations

from typing import Any, Iterable

import attrs

from .config import ConfigError, HostConfiguration
from .readings import check_reading
from .core import Machine, register_machine, require
from .halts import bits
from .resilience import may_shrink_to, min_seconds_for_blocks, target_seconds_for_blocks
from .rules import implements

__all__ = [
    "GOVERNANCE",
    "PoaConfig",
    "POA_PRESETS",
    "PoaState",
    "PoaMachine",
    "AddValidator",
    "RemoveValidator",
    "ReAddSelf",
    "Heartbeat",
    "GoOffline",
    "ComeOnline",
    "EndSession",
    "ACTIONS",
    "block_seconds",
]

#: the privileged origin (the pallet's ``AddRemoveOrigin``: council, multisig or sudo);
#: any other origin is a signed account index
GOVERNANCE = -1


@attrs.frozen
class PoaConfig:
    name: str = "tiny"
    #: the reading of the whole host, ``seed`` or ``sdk`` (CFG-D5, ``model/readings.py``)
    reading: str = "seed"
    #: accounts that may ever be validators (indices 0 .. n_accounts-1)
    n_accounts: int = 3
    #: the genesis validators (approved and active): accounts 0 .. initial-1
    initial: int = 3
    #: no removal takes the validator list below this size (POA-8)
    min_validators: int = 2
    #: the target block period, one slot (seed: 6 s)
    slot_seconds: int = 6

    def validate(self) -> "PoaConfig":
        for f in attrs.fields(PoaConfig):
            v = getattr(self, f.name)
            if f.type in ("int", int) and (not isinstance(v, int) or isinstance(v, bool)):
                raise ConfigError(f.name, "CFG-1", f"must be an integer, got {v!r}")
        for name in ("n_accounts", "initial", "slot_seconds"):
            if getattr(self, name) < 1:
                raise ConfigError(name, "CFG-1", "must be at least 1")
        if self.initial > self.n_accounts:
            raise ConfigError("initial", "CFG-1", f"{self.initial} genesis validators among {self.n_accounts} accounts")
        if not 1 <= self.min_validators <= self.initial:
            raise ConfigError("min_validators", "CFG-1",
                              f"must be between 1 and the {self.initial} genesis validators")
        check_reading(self)
        return self



POA_PRESETS: dict[str, PoaConfig] = {
    c.name: c.validate()
    for c in (
        PoaConfig(name="tiny"),
        PoaConfig(name="small", n_accounts=4, initial=3, min_validators=2),
        # [POA]'s example network: 10 authorities, 6-second slots; the minimum is
        # paraspec's choice (POA-D1): 4 = 3f + 1 for f = 1
        PoaConfig(name="seed", n_accounts=12, initial=10, min_validators=4, slot_seconds=6),
    )
}


@attrs.frozen(cache_hash=True)
class PoaState:
    #: the pallet's validator list, handed to the session at the next rotation
    validators: int
    #: validators added by governance and not removed by it
    approved: int
    #: the current session's validator set (authors the blocks)
    active: int
    #: active validators whose heartbeat this session has been received
    heartbeats: int = 0
    #: environment: which accounts' nodes are up
    online: int = 0
    #: ghost: some validator has put itself back on the list (``ReAddSelf``)
    readmitted: bool = False


@attrs.frozen
class AddValidator:
    validator: int
    origin: int = GOVERNANCE


@attrs.frozen
class RemoveValidator:
    validator: int
    origin: int = GOVERNANCE


@attrs.frozen
class ReAddSelf:
    """``add_validator_again``: an approved validator removed for being offline puts
    itself back on the list; ``origin`` is the signing account."""

    validator: int
    origin: int


@attrs.frozen
class Heartbeat:
    """ImOnline: ``validator``'s node reports it is online this session."""

    validator: int


@attrs.frozen
class GoOffline:
    validator: int


@attrs.frozen
class ComeOnline:
    validator: int


@attrs.frozen
class EndSession:
    """The session ends: offline reports, removals, rotation to the validator list."""


ACTIONS: dict[str, type] = {c.__name__: c for c in (AddValidator, RemoveValidator, ReAddSelf, Heartbeat,
                                                     GoOffline, ComeOnline, EndSession)}


@implements("POA-9")
def block_seconds(active: int, online: int, slot_seconds: int) -> int | None:
    """POA-9: the least time in which the session's set authors as many blocks as it has
    members, given who is offline (``None`` when nobody in the set is online)."""
    n = active.bit_count()
    offline = (active & ~online).bit_count()
    if n == 0 or offline == n:
        return None
    return min_seconds_for_blocks(n, n, offline, slot_seconds)


@register_machine
class PoaMachine(Machine):
    """Governance-managed validator set with heartbeat-based removal and self re-admission."""

    name = "poa"
    area = "poa"
    description = "self-healing proof-of-authority validator set: heartbeats, offline removal, re-admission ([POA])"
    action_classes = ACTIONS
    presets = POA_PRESETS

    Params = PoaConfig
    #: ``slot_seconds`` only converts slots to seconds in :meth:`describe` (every rule and
    #: property counts slots), so it is not a parameter of the exploration
    parameters = ("n_accounts", "initial", "min_validators")

    def __init__(self, config):
        super().__init__(config)

    # -- rules ---------------------------------------------------------------------------------
    @implements("POA-1")
    def is_privileged(self, origin: int) -> bool:
        """POA-1: only the governance origin adds and removes validators."""
        return origin == GOVERNANCE

    @implements("POA-8")
    def may_remove(self, validators: int) -> bool:
        """POA-8: removing one member of ``validators`` keeps the list at its minimum."""
        return may_shrink_to(validators.bit_count() - 1, self.config.min_validators)

    @implements("POA-7")
    def may_readd(self, s: PoaState, validator: int, origin: int) -> bool:
        """POA-7: only the validator itself, and only while it is approved."""
        return origin == validator and (s.approved >> validator) & 1 == 1

    @implements("POA-5")
    def may_heartbeat(self, s: PoaState, validator: int) -> bool:
        """POA-5: heartbeats come from the session's active validators whose node is up."""
        return (s.active >> validator) & 1 == 1 and (s.online >> validator) & 1 == 1

    @implements("POA-6")
    def get_reported(self, s: PoaState) -> int:
        """POA-6: the active validators without a heartbeat this session."""
        return s.active & ~s.heartbeats

    @implements("POA-6", "POA-8")
    def compute_next_list(self, s: PoaState, reported: int) -> int:
        """POA-6, POA-8: remove the reported validators, in index order, while the list
        stays at its minimum size."""
        validators = s.validators
        for v in bits(reported & validators):
            if self.may_remove(validators):
                validators &= ~(1 << v)
        return validators

    @implements("POA-4")
    def rotate(self, s: PoaState, validators: int) -> PoaState:
        """POA-4: the list is handed to the session; heartbeats start over."""
        return attrs.evolve(s, validators=validators, active=validators, heartbeats=0)

    # -- machine ---------------------------------------------------------------------------------
    def init(self):
        genesis = (1 << self.config.initial) - 1
        everyone = (1 << self.config.n_accounts) - 1
        yield PoaState(validators=genesis, approved=genesis, active=genesis, heartbeats=0, online=everyone)

    def actions(self, s: PoaState) -> Iterable[Any]:
        n = self.config.n_accounts
        other = lambda v: (v + 1) % n  # noqa: E731 - a signed origin that is not v
        for v in range(n):
            yield AddValidator(v, GOVERNANCE)
            yield RemoveValidator(v, GOVERNANCE)
            yield ReAddSelf(v, v)
            if n > 1:
                yield ReAddSelf(v, other(v))
            yield Heartbeat(v)
            yield (GoOffline(v) if (s.online >> v) & 1 else ComeOnline(v))
        yield AddValidator(0, 0)
        yield RemoveValidator(0, 1 % n)
        yield EndSession()

    def check_account(self, v: int) -> None:
        require(0 <= v < self.config.n_accounts, "POA-2", f"unknown account {v}")

    def process_add_validator(self, s: PoaState, a: AddValidator) -> PoaState:
        self.check_account(a.validator)
        require(self.is_privileged(a.origin), "POA-1", f"origin {a.origin} may not add validators")
        bit = 1 << a.validator
        require(not s.validators & bit, "POA-2", f"validator {a.validator} is already on the list")
        return attrs.evolve(s, validators=s.validators | bit, approved=s.approved | bit)

    def process_remove_validator(self, s: PoaState, a: RemoveValidator) -> PoaState:
        self.check_account(a.validator)
        require(self.is_privileged(a.origin), "POA-1", f"origin {a.origin} may not remove validators")
        bit = 1 << a.validator
        require((s.validators | s.approved) & bit, "POA-3", f"account {a.validator} is not a validator")
        if s.validators & bit:
            require(self.may_remove(s.validators), "POA-8",
                    f"the list would fall below {self.config.min_validators} validators")
        return attrs.evolve(s, validators=s.validators & ~bit, approved=s.approved & ~bit)

    def process_re_add_self(self, s: PoaState, a: ReAddSelf) -> PoaState:
        self.check_account(a.validator)
        require(self.may_readd(s, a.validator, a.origin), "POA-7",
                f"account {a.origin} may not re-add validator {a.validator}"
                + ("" if (s.approved >> a.validator) & 1 else " (removed by governance)"))
        bit = 1 << a.validator
        require(not s.validators & bit, "POA-2", f"validator {a.validator} is already on the list")
        return attrs.evolve(s, validators=s.validators | bit, readmitted=True)

    def process_heartbeat(self, s: PoaState, a: Heartbeat) -> PoaState:
        self.check_account(a.validator)
        require(self.may_heartbeat(s, a.validator), "POA-5",
                f"no heartbeat from {a.validator}: not an active, online validator")
        return attrs.evolve(s, heartbeats=s.heartbeats | (1 << a.validator))

    def process_go_offline(self, s: PoaState, a: GoOffline) -> PoaState:
        self.check_account(a.validator)
        return attrs.evolve(s, online=s.online & ~(1 << a.validator))

    def process_come_online(self, s: PoaState, a: ComeOnline) -> PoaState:
        self.check_account(a.validator)
        return attrs.evolve(s, online=s.online | (1 << a.validator))

    def process_end_session(self, s: PoaState, a: EndSession) -> PoaState:
        reported = self.get_reported(s)
        return self.rotate(s, self.compute_next_list(s, reported))

    def describe(self, s: PoaState) -> dict[str, Any]:
        n = s.active.bit_count()
        return {
            "validators": bits(s.validators),
            "approved": bits(s.approved),
            "active": bits(s.active),
            "heartbeats": bits(s.heartbeats),
            "online": bits(s.online),
            "offline_active": bits(s.active & ~s.online),
            "block_seconds": block_seconds(s.active, s.online, self.config.slot_seconds),
            "target_seconds": target_seconds_for_blocks(n, self.config.slot_seconds),
        }

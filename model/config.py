"""Host configuration and named presets.

``HostConfiguration`` carries the protocol parameters of [AnV] (the names follow
polkadot-sdk's ``HostConfiguration`` where the seed leaves them unnamed) and the
model's exploration bounds (``max_candidates``), which keep exhaustive search finite.

Presets:

* ``tiny`` (4 validators, 2 parachain cores): explored exhaustively by ``make check``;
* ``trio`` (3 validators, 2 cores): where 2/3 of n is a whole number, so ``>`` and
  ``>=`` differ;
* ``small`` (5 validators, 2 cores): a slower exhaustive preset;
* ``polkadot`` (1000 validators, 100 cores): for the interpreter and simulation.
"""

from __future__ import annotations

from typing import Any

import attrs

from .rules import implements
from .thresholds import BACKING_THRESHOLDS, DISPUTE_RULES, FREE_CORE_BIT

__all__ = ["HostConfiguration", "PRESETS", "get_preset", "ConfigError", "DEFAULT_PRESET", "override_fields", "validated",
           "check_int_fields", "check_choice_field", "check_hard_limits", "HARD_LIMITS"]

#: CFG-6: the hard limits of the three size members, in bytes (polkadot-sdk
#: ``configuration.rs`` ``check_consistency``: ``MAX_CODE_SIZE`` and ``MAX_HEAD_DATA_SIZE``
#: of the primitives, 3 MiB and 1 MiB; the PoV against the network's largest response,
#: ``sc_network::MAX_RESPONSE_SIZE``, defined as ``16 * 1024 * 1024`` in
#: ``substrate/client/network/src/lib.rs``). Decision CFG-D7.
HARD_LIMITS: dict[str, int] = {
    "max_code_size": 3 * 1024 * 1024,
    "max_head_data_size": 1 * 1024 * 1024,
    "max_pov_size": 16 * 1024 * 1024,
}


class ConfigError(ValueError):
    """A configuration value breaks a consistency rule (CFG-* in ``spec/``)."""

    def __init__(self, field: str, rule_id: str, reason: str):
        super().__init__(f"field {field!r}: {reason} ({rule_id})")
        self.field = field
        self.rule_id = rule_id
        self.reason = reason


@implements("CFG-1")
def check_int_fields(params: Any, minimums: dict[str, int]) -> None:
    """Raise :class:`ConfigError` (CFG-1) unless every named field of ``params`` is an
    integer (not a boolean) at least its minimum. For the ``validate()`` of a machine's
    own ``Params``."""
    for name, low in minimums.items():
        v = getattr(params, name)
        if not isinstance(v, int) or isinstance(v, bool):
            raise ConfigError(name, "CFG-1", f"must be an integer, got {v!r}")
        if v < low:
            raise ConfigError(name, "CFG-1", f"must be at least {low}, got {v}")


@implements("CFG-1")
def check_choice_field(params: Any, name: str, choices: tuple[str, ...]) -> None:
    """Raise :class:`ConfigError` (CFG-1) unless field ``name`` of ``params`` is one of ``choices``."""
    v = getattr(params, name)
    if v not in choices:
        raise ConfigError(name, "CFG-1", f"must be one of {', '.join(choices)}, got {v!r}")


@implements("CFG-6")
def check_hard_limits(cfg: Any) -> None:
    """Raise :class:`ConfigError` (CFG-6) if a size member of ``cfg`` exceeds its hard
    limit (:data:`HARD_LIMITS`); a limit equal to the hard limit is consistent."""
    for name, limit in HARD_LIMITS.items():
        v = getattr(cfg, name)
        if v > limit:
            raise ConfigError(name, "CFG-6", f"{v} exceeds the hard limit {limit}")


@attrs.frozen
class HostConfiguration:
    name: str = "custom"
    #: the reading of the whole host, ``seed`` or ``sdk`` (CFG-D5, ``model/readings.py``)
    reading: str = "seed"
    # -- validators and cores ------------------------------------------------------
    n_validators: int = 4
    #: parachains, one availability core each (core i belongs to parachain i)
    n_parachains: int = 2
    #: extra cores multiplexing parathreads (issue 3; 0 in the spine machines)
    parathread_cores: int = 0
    # -- timing (in relay-chain blocks) ------------------------------------------------
    #: blocks a parachain candidate may stay pending availability (seed: timeout t)
    chain_availability_period: int = 2
    thread_availability_period: int = 2
    group_rotation_frequency: int = 10
    session_length: int = 10
    scheduling_lookahead: int = 1
    parathread_retries: int = 1
    validation_upgrade_frequency: int = 2
    validation_upgrade_delay: int = 2
    acceptance_period: int = 4
    # -- sizes ---------------------------------------------------------------------------
    max_code_size: int = 3
    max_head_data_size: int = 32
    max_pov_size: int = 5_242_880
    # -- backing --------------------------------------------------------------------------
    #: which reading of "enough valid statements" applies (decision INC-D1)
    backing_threshold: str = "majority"
    minimum_backing_votes: int = 2
    # -- availability readings ------------------------------------------------------------
    #: what to do with a bitfield that has a 1 bit for a free core (decision AV-D2):
    #: "disregard" it ([IG §2.5.6]), ignore that "bit" (polkadot-sdk) or "reject" the block
    #: (the sdk runtime of 2020)
    free_core_bit: str = "disregard"
    # -- exploration bounds (model only) ---------------------------------------------------
    #: candidates each para may produce in one exploration (keeps the state space finite)
    max_candidates: int = 2
    # -- validity readings (issue 4) -----------------------------------------------------------
    #: how a dispute / invalidity escalation is decided (decision ESC-D1): "seed"
    #: ([AnV §1.10.3]: three outcomes once > 2n/3 attest) or "sdk" (polkadot-sdk:
    #: confirmed at > f participants, concluded at a supermajority on one side)
    dispute_rule: str = "seed"

    @property
    def n_cores(self) -> int:
        return self.n_parachains + self.parathread_cores

    @implements("CFG-1")
    def validate(self) -> "HostConfiguration":
        """Check the configuration's consistency; raise :class:`ConfigError` (CFG-1)."""
        positive = [
            "n_validators",
            "n_parachains",
            "chain_availability_period",
            "thread_availability_period",
            "group_rotation_frequency",
            "session_length",
            "scheduling_lookahead",
            "minimum_backing_votes",
            "max_candidates",
        ]
        for f in attrs.fields(HostConfiguration):
            v = getattr(self, f.name)
            if f.type in ("int", int) and (not isinstance(v, int) or isinstance(v, bool)):
                raise ConfigError(f.name, "CFG-1", f"must be an integer, got {v!r}")
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(name, "CFG-1", "must be at least 1")
        for name in ("parathread_cores", "parathread_retries", "validation_upgrade_frequency",
                     "acceptance_period", "max_code_size", "max_head_data_size", "max_pov_size"):
            if getattr(self, name) < 0:
                raise ConfigError(name, "CFG-1", "must not be negative")
        check_hard_limits(self)
        if self.validation_upgrade_delay <= 1:
            raise ConfigError("validation_upgrade_delay", "CFG-1", "must be greater than 1")
        if self.n_validators < self.n_cores:
            raise ConfigError("n_validators", "CFG-1",
                              f"{self.n_validators} validators cannot form {self.n_cores} non-empty groups")
        check_choice_field(self, "backing_threshold", BACKING_THRESHOLDS)
        check_choice_field(self, "free_core_bit", FREE_CORE_BIT)
        check_choice_field(self, "dispute_rule", DISPUTE_RULES)
        from .readings import check_reading  # readings imports ConfigError from here

        check_reading(self)
        return self

    def with_overrides(self, overrides: dict[str, Any]) -> "HostConfiguration":
        """A copy with fields replaced; values given as strings are parsed by field type."""
        return override_fields(self, overrides)

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def override_fields(config: Any, overrides: dict[str, Any]) -> Any:
    """A copy of an attrs configuration (``HostConfiguration``, or a machine's own
    parameters such as ``HaltConfig``) with fields replaced, validated. A value given
    as a string (``--set FIELD=VALUE``) is parsed by the field's type: integers, and
    ``true``/``false`` for booleans. An unknown field is CFG-2; a bad value CFG-1."""
    fields = {f.name: f for f in attrs.fields(type(config))}
    changes: dict[str, Any] = {}
    for key, raw in overrides.items():
        if key not in fields:
            raise ConfigError(key, "CFG-2", f"no such configuration field (known: {', '.join(fields)})")
        ftype = fields[key].type
        if isinstance(raw, str) and ftype in ("int", int):
            try:
                changes[key] = int(raw)
            except ValueError:
                raise ConfigError(key, "CFG-1", f"must be an integer, got {raw!r}") from None
        elif isinstance(raw, str) and ftype in ("bool", bool):
            if raw.lower() not in ("true", "false"):
                raise ConfigError(key, "CFG-1", f"must be true or false, got {raw!r}")
            changes[key] = raw.lower() == "true"
        elif isinstance(raw, str) and ftype not in ("str", str):
            raise ConfigError(key, "CFG-1", f"cannot be set from the command line (type {ftype})")
        else:
            changes[key] = raw
    return validated(attrs.evolve(config, **changes))


def validated(params: Any) -> Any:
    """``params.validate()`` when the parameters class has one (it raises ``ConfigError``);
    ``params`` itself otherwise: ``validate`` is optional for a machine's own ``Params``."""
    check = getattr(params, "validate", None)
    return params if check is None else check()


PRESETS: dict[str, HostConfiguration] = {
    p.name: p.validate()
    for p in (
        HostConfiguration(name="tiny"),
        HostConfiguration(name="trio", n_validators=3, n_parachains=2),
        HostConfiguration(name="small", n_validators=5, n_parachains=2, chain_availability_period=2),
        HostConfiguration(
            name="polkadot",
            n_validators=1000,
            n_parachains=100,
            chain_availability_period=10,
            thread_availability_period=10,
            group_rotation_frequency=10,
            session_length=2400,
            validation_upgrade_frequency=600,
            validation_upgrade_delay=600,
            acceptance_period=14_400,
            max_code_size=3 * 1024 * 1024,
            max_head_data_size=20_480,
            backing_threshold="sdk",
            max_candidates=1_000_000,
        ),
    )
}

DEFAULT_PRESET = "tiny"


def get_preset(name: str) -> HostConfiguration:
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError("preset", "CFG-2", f"unknown preset {name!r} (known: {', '.join(PRESETS)})") from None

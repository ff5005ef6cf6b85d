"""The Configuration module: [IG §2.5.3] (rules CFG-* of ``spec/configuration.md``).

Storage: the configuration in force and the pending ones, each for the session at whose
start it comes into force (``PendingConfigs``). Governance setters (one per configuration
member) build on the latest pending configuration, or on the current one when none is
pending (``update_configuration``, CFG-4), and keep the result pending for the next
session under ``reading=seed``, for the session after it under ``reading=sdk``
(polkadot-sdk's ``SESSION_DELAY``; CFG-7, decision CFG-D1); a session change applies the
configuration pending for its new session, so the configuration is constant within a
session (CFG-5).

The module is a mixin of rule methods (so a mutant overrides one) used by the
``configuration`` machine below and by the composed ``runtime``.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..config import HARD_LIMITS, PRESETS, ConfigError, HostConfiguration
from ..core import Machine, Rejected, register_machine, require
from ..readings import is_sdk
from ..rules import implements

__all__ = [
    "ConfigurationState",
    "SetConfiguration",
    "ConfigSessionChange",
    "ConfigurationModule",
    "ConfigurationMachine",
    "GOVERNANCE_MEMBERS",
    "ORIGINS",
]

#: The configuration members that have a governance setter (CFG-2). The other fields
#: of ``HostConfiguration`` are the preset's identity (``name``), the genesis sizes
#: (``n_validators``, ``n_parachains``: in the runtime the validators come with the
#: session change and the parachains with registration), the model's readings of
#: open seed questions (``backing_threshold``, ``free_core_bit``) and exploration
#: bounds (``max_candidates``): none of them is chain configuration.
GOVERNANCE_MEMBERS = (
    "parathread_cores",
    "chain_availability_period",
    "thread_availability_period",
    "group_rotation_frequency",
    "session_length",
    "scheduling_lookahead",
    "parathread_retries",
    "validation_upgrade_frequency",
    "validation_upgrade_delay",
    "acceptance_period",
    "max_code_size",
    "max_head_data_size",
    "max_pov_size",
    "minimum_backing_votes",
)

#: Origins a call can carry: ``root`` is governance.
ORIGINS = ("root", "signed", "parachain", "none")


@attrs.frozen(cache_hash=True)
class ConfigurationState:
    """``ActiveConfig`` and ``PendingConfigs`` storage."""

    current: HostConfiguration
    #: ``PendingConfigs``: (session, configuration), ascending by session: each comes into
    #: force at the start of its session (CFG-5, CFG-7); at most one entry under
    #: ``reading=seed`` (for the next session), two under ``reading=sdk`` (the next
    #: session and the one after it)
    pending: tuple[tuple[int, HostConfiguration], ...] = ()


@attrs.frozen
class SetConfiguration:
    """A governance setter: ``set_<member>(value)`` dispatched with ``origin``."""

    member: str
    value: int
    origin: str = "root"


@attrs.frozen
class ConfigSessionChange:
    """The session-change routine of the module (the ``configuration`` machine's action)."""


class ConfigurationModule:
    """Rule methods of the Configuration module."""

    # -- rules --------------------------------------------------------------------------
    @implements("CFG-3")
    def is_governance_origin(self, origin: str) -> bool:
        """CFG-3: setters accept only the governance (root) origin."""
        return origin == "root"

    @implements("CFG-1", "CFG-6")
    def check_consistency(self, cfg: HostConfiguration) -> None:
        """CFG-1, CFG-6: a configuration must pass the consistency check (the hard size
        limits among it); raises Rejected."""
        try:
            cfg.validate()
        except ConfigError as e:
            raise Rejected(e.rule_id, f"inconsistent configuration: {e}") from None

    @implements("CFG-4")
    def get_update_base(self, cs: ConfigurationState) -> HostConfiguration:
        """CFG-4: ``update_configuration`` builds on the latest pending configuration (the
        one for the latest session) if any, else on the current one."""
        return cs.pending[-1][1] if cs.pending else cs.current

    @implements("CFG-7")
    def config_session_delay(self, cfg: HostConfiguration) -> int:
        """CFG-7 (decision CFG-D1): sessions from a setter to the session at whose start its
        configuration comes into force: 1 ([IG §2.5.3], the next session change) under
        ``reading=seed``, polkadot-sdk's ``SESSION_DELAY`` (2) under ``reading=sdk``."""
        return 2 if is_sdk(cfg) else 1

    @implements("CFG-7")
    def schedule_pending(self, cs: ConfigurationState, new: HostConfiguration, session: int) -> ConfigurationState:
        """CFG-7: keep ``new`` pending for the scheduled session, ``config_session_delay`` after the
        current ``session``: it replaces the configuration already pending for that session
        (or a later one), else it is appended (polkadot-sdk ``schedule_config_update``), so
        the setters of one session come into force together."""
        at = session + self.config_session_delay(cs.current)
        for i, (when, _) in enumerate(cs.pending):
            if when >= at:
                return attrs.evolve(cs, pending=cs.pending[:i] + ((when, new),) + cs.pending[i + 1:])
        return attrs.evolve(cs, pending=cs.pending + ((at, new),))

    # -- routines -------------------------------------------------------------------------
    def get_configuration(self, cs: ConfigurationState) -> HostConfiguration:
        """``configuration()``: the configuration in force."""
        return cs.current

    @implements("CFG-1", "CFG-4")
    def set_configuration(self, cs: ConfigurationState, call: SetConfiguration, session: int) -> ConfigurationState:
        """The entry point of one configuration member (CFG-1 .. CFG-4, CFG-7), dispatched in
        session ``session``."""
        require(self.is_governance_origin(call.origin), "CFG-3",
                f"set_{call.member} needs the governance origin, not {call.origin!r}")
        require(call.member in GOVERNANCE_MEMBERS, "CFG-2",
                f"no configuration member {call.member!r} has a setter")
        require(isinstance(call.value, int) and not isinstance(call.value, bool), "CFG-1",
                f"set_{call.member}: value must be an integer, got {call.value!r}")
        return self.update_configuration(cs, {call.member: call.value}, session)

    def process_set_configuration(self, cs: ConfigurationState, call: SetConfiguration,
                                  session: int) -> ConfigurationState:
        """:meth:`set_configuration`, under the name the composed runtime calls it by.

        (The ``configuration`` machine's ``process_set_configuration`` takes the machine's
        state and action instead; this one goes when ``RuntimeModel`` calls
        ``set_configuration`` itself.)"""
        return self.set_configuration(cs, call, session)

    @implements("CFG-4")
    def update_configuration(self, cs: ConfigurationState, changes: dict[str, Any],
                             session: int) -> ConfigurationState:
        """``update_configuration(f)`` in session ``session``: apply ``changes`` to the base
        (CFG-4) and keep the result pending for the scheduled session (CFG-7), after
        checking its consistency (CFG-1)."""
        new = attrs.evolve(self.get_update_base(cs), **changes)
        self.check_consistency(new)
        return self.schedule_pending(cs, new, session)

    @implements("CFG-5")
    def process_configuration_session_change(
            self, cs: ConfigurationState,
            session: int) -> tuple[ConfigurationState, HostConfiguration, HostConfiguration]:
        """CFG-5: at the session change that starts session ``session`` the configuration
        pending for it (the latest pending for it or an earlier session, polkadot-sdk
        ``initializer_on_new_session``) becomes the current one and leaves the pending
        list; the configurations pending for later sessions stay. Returns the new storage
        and the ``prev_config`` / ``new_config`` of the session-change notification (INI-5)."""
        prev = cs.current
        due = [c for when, c in cs.pending if when <= session]
        new = due[-1] if due else cs.current
        return ConfigurationState(current=new, pending=tuple(e for e in cs.pending if e[0] > session)), prev, new


# -- the module machine ---------------------------------------------------------------------


@attrs.frozen(cache_hash=True)
class ConfigurationMachineState:
    storage: ConfigurationState
    #: session changes so far (bounded by the exploration)
    session: int = 0


#: the values each member takes in the module's exploration (member -> values)
EXPLORED_SETTERS = (
    ("group_rotation_frequency", (0, 2, 3)),
    ("chain_availability_period", (1, 2)),
    ("validation_upgrade_delay", (1, 3)),
    # CFG-6: one byte over each hard limit (always refused, so no state is added)
    *((member, (limit + 1,)) for member, limit in HARD_LIMITS.items()),
)


@register_machine
class ConfigurationMachine(ConfigurationModule, Machine):
    """The Configuration module alone: setters and session changes."""

    name = "configuration"
    vector_suite = "runtime_module"
    area = "configuration"
    description = "configuration buffering and governance setters ([IG §2.5.3])"

    #: the genesis configuration the module buffers: the members with a setter (the
    #: other fields are no chain configuration, see ``GOVERNANCE_MEMBERS``)
    parameters = GOVERNANCE_MEMBERS
    #: the small presets differ only in what the module does not read: ``tiny`` stands
    #: for them; ``polkadot`` buffers a real chain's values
    presets = {name: PRESETS[name] for name in ("tiny", "polkadot")}

    #: session changes explored
    max_sessions = 3

    def init(self):
        yield ConfigurationMachineState(ConfigurationState(current=self.config))

    def actions(self, state: ConfigurationMachineState):
        for member, values in EXPLORED_SETTERS:
            for v in values:
                yield SetConfiguration(member, v, "root")
        # CFG-3 and CFG-2: a non-governance origin, an unknown member, a non-member field
        yield SetConfiguration("chain_availability_period", 3, "signed")
        yield SetConfiguration("no_such_member", 1, "root")
        yield SetConfiguration("n_validators", 5, "root")
        if state.session < self.max_sessions:
            yield ConfigSessionChange()

    def process_set_configuration(self, state: ConfigurationMachineState,
                                  action: SetConfiguration) -> ConfigurationMachineState:
        return attrs.evolve(state, storage=self.set_configuration(state.storage, action, state.session))

    def process_config_session_change(self, state: ConfigurationMachineState,
                                      action: ConfigSessionChange) -> ConfigurationMachineState:
        storage, _, _ = self.process_configuration_session_change(state.storage, state.session + 1)
        return ConfigurationMachineState(storage, state.session + 1)

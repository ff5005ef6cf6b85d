"""Properties and mutants of the ``configuration`` machine (spec/configuration.md)."""

from __future__ import annotations

import functools

import attrs

from paraspec.model.config import HARD_LIMITS, ConfigError, HostConfiguration
from paraspec.model.core import Rejected
from paraspec.model.runtime.configuration import (
    GOVERNANCE_MEMBERS,
    ConfigSessionChange,
    ConfigurationMachine,
    ConfigurationState,
    SetConfiguration,
)

from .core import always, mutant, sometimes, transition

M = "configuration"


def _accepted(t) -> bool:
    return not isinstance(t, Rejected)


@functools.lru_cache(maxsize=1024)
def _consistent(cfg: HostConfiguration) -> bool:
    try:
        cfg.validate()
    except ConfigError:
        return False
    return True


# -- invariants -----------------------------------------------------------------------------


@always(M, ["CFG-1"], witness=lambda m, s: s.storage.pending is not None)
def pending_is_consistent(m, s):
    """The configuration in force and the pending one always pass the consistency check."""
    st = s.storage
    return _consistent(st.current) and (st.pending is None or _consistent(st.pending))


@always(M, ["CFG-6"], witness=lambda m, s: s.storage.pending is not None)
def sizes_within_hard_limits(m, s):
    """No configuration, in force or pending, has a code, head-data or PoV size limit
    above its hard limit (polkadot-sdk ``check_consistency``; decision CFG-D7)."""
    cfgs = (s.storage.current,) if s.storage.pending is None else (s.storage.current, s.storage.pending)
    return all(getattr(c, name) <= limit for c in cfgs for name, limit in HARD_LIMITS.items())


# -- transition properties ---------------------------------------------------------------------


@transition(M, ["CFG-3"], on=[SetConfiguration], witness=lambda m, s, a, t: a.origin != "root")
def setters_need_governance(m, s, a, t):
    """A setter dispatched with any origin but governance (root) fails."""
    return a.origin == "root" or not _accepted(t)


@transition(M, ["CFG-2"], on=[SetConfiguration], witness=lambda m, s, a, t: a.member not in GOVERNANCE_MEMBERS)
def unknown_member_rejected(m, s, a, t):
    """A setter for a name that is not a configuration member fails."""
    return a.member in GOVERNANCE_MEMBERS or not _accepted(t)


@transition(M, ["CFG-5"], on=[SetConfiguration], witness=lambda m, s, a, t: _accepted(t))
def configuration_constant_within_session(m, s, a, t):
    """No setter changes the configuration in force: only a session change does."""
    return not _accepted(t) or t.storage.current == s.storage.current


@transition(M, ["CFG-4"], on=[SetConfiguration],
            witness=lambda m, s, a, t: _accepted(t) and s.storage.pending is not None
            and s.storage.pending != s.storage.current)
def setter_builds_on_pending(m, s, a, t):
    """An accepted setter changes exactly its member of the pending configuration and
    keeps every earlier pending change (the base is the pending configuration, or the
    current one when none is pending)."""
    if not _accepted(t):
        return True
    base = s.storage.pending if s.storage.pending is not None else s.storage.current
    new = t.storage.pending
    if new is None or getattr(new, a.member) != a.value:
        return False
    return all(getattr(new, f.name) == getattr(base, f.name)
               for f in attrs.fields(HostConfiguration) if f.name != a.member)


@transition(M, ["CFG-5"], on=[ConfigSessionChange], witness=lambda m, s, a, t: s.storage.pending is not None)
def session_change_applies_pending(m, s, a, t):
    """At a session change the pending configuration (if any) comes into force and
    nothing stays pending."""
    expected = s.storage.pending if s.storage.pending is not None else s.storage.current
    return _accepted(t) and t.storage.current == expected and t.storage.pending is None


# -- reachability --------------------------------------------------------------------------------


@sometimes(M, ["CFG-4", "CFG-5"])
def two_changes_in_force(m, s):
    """Two members changed in one session both come into force at the next session change."""
    g = m.config
    c = s.storage.current
    changed = [f.name for f in attrs.fields(HostConfiguration) if getattr(c, f.name) != getattr(g, f.name)]
    return len(changed) >= 2


# -- mutants ---------------------------------------------------------------------------------------


@mutant(M, "cfg_no_consistency_check", kills=["pending_is_consistent"])
class NoConsistencyCheck(ConfigurationMachine):
    """A new configuration is not checked: a zero rotation frequency becomes pending."""

    def check_consistency(self, cfg):
        return None


@mutant(M, "cfg_no_hard_limits", kills=["sizes_within_hard_limits"])
class NoHardLimits(ConfigurationMachine):
    """The consistency check leaves out the hard size limits (CFG-6): a setter may make
    ``max_head_data_size`` one byte larger than 1 MiB."""

    def check_consistency(self, cfg):
        clamped = {name: min(getattr(cfg, name), limit) for name, limit in HARD_LIMITS.items()}
        return super().check_consistency(attrs.evolve(cfg, **clamped))


@mutant(M, "cfg_any_origin", kills=["setters_need_governance"])
class AnyOrigin(ConfigurationMachine):
    """Setters accept any origin."""

    def is_governance_origin(self, origin):
        return True


@mutant(M, "cfg_any_member", kills=["unknown_member_rejected"])
class AnyMember(ConfigurationMachine):
    """Any field of the configuration can be set (and unknown names are ignored)."""

    def set_configuration(self, cs, call):
        if call.member in GOVERNANCE_MEMBERS:
            return super().set_configuration(cs, call)
        if call.member in {f.name for f in attrs.fields(HostConfiguration)}:
            return ConfigurationState(cs.current, attrs.evolve(self.get_update_base(cs), **{call.member: call.value}))
        return cs


@mutant(M, "cfg_applied_immediately", kills=["configuration_constant_within_session"])
class AppliedImmediately(ConfigurationMachine):
    """A setter changes the configuration in force at once."""

    def update_configuration(self, cs, changes):
        new = super().update_configuration(cs, changes)
        return ConfigurationState(new.pending, new.pending)


@mutant(M, "cfg_builds_on_current", kills=["setter_builds_on_pending"])
class BuildsOnCurrent(ConfigurationMachine):
    """``update_configuration`` starts from the current configuration, losing earlier
    pending changes."""

    def get_update_base(self, cs):
        return cs.current


@mutant(M, "cfg_pending_kept", kills=["session_change_applies_pending"])
class PendingKept(ConfigurationMachine):
    """The pending slot is not emptied at a session change."""

    def process_configuration_session_change(self, cs):
        new, prev, cfg = super().process_configuration_session_change(cs)
        return ConfigurationState(new.current, cs.pending), prev, cfg


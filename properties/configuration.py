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


def spec_session_delay(m) -> int:
    """CFG-7, stated apart from the model: polkadot-sdk's ``SESSION_DELAY`` (2) under
    ``reading=sdk``, the next session ([IG §2.5.3]) under ``reading=seed``."""
    return 2 if getattr(m.params, "reading", "seed") == "sdk" else 1


def _configs(st: ConfigurationState) -> tuple[HostConfiguration, ...]:
    """The configuration in force and every pending one."""
    return (st.current,) + tuple(c for _, c in st.pending)


@functools.lru_cache(maxsize=1024)
def _consistent(cfg: HostConfiguration) -> bool:
    try:
        cfg.validate()
    except ConfigError:
        return False
    return True


# -- invariants -----------------------------------------------------------------------------


@always(M, ["CFG-1"], witness=lambda m, s: bool(s.storage.pending))
def pending_is_consistent(m, s):
    """The configuration in force and every pending one always pass the consistency check."""
    return all(_consistent(c) for c in _configs(s.storage))


@always(M, ["CFG-6"], witness=lambda m, s: bool(s.storage.pending))
def sizes_within_hard_limits(m, s):
    """No configuration, in force or pending, has a code, head-data or PoV size limit
    above its hard limit (polkadot-sdk ``check_consistency``; decision CFG-D7)."""
    return all(getattr(c, name) <= limit for c in _configs(s.storage) for name, limit in HARD_LIMITS.items())


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
            witness=lambda m, s, a, t: _accepted(t) and bool(s.storage.pending)
            and s.storage.pending[-1][1] != s.storage.current)
def setter_builds_on_pending(m, s, a, t):
    """An accepted setter changes exactly its member of the latest pending configuration
    and keeps every earlier pending change (the base is the latest pending configuration,
    or the current one when none is pending)."""
    if not _accepted(t):
        return True
    base = s.storage.pending[-1][1] if s.storage.pending else s.storage.current
    new = t.storage.pending[-1][1] if t.storage.pending else None
    if new is None or getattr(new, a.member) != a.value:
        return False
    return all(getattr(new, f.name) == getattr(base, f.name)
               for f in attrs.fields(HostConfiguration) if f.name != a.member)


@transition(M, ["CFG-5", "CFG-7"], on=[ConfigSessionChange],
            witness=lambda m, s, a, t: any(at == s.session + 1 for at, _ in s.storage.pending))
def session_change_applies_pending(m, s, a, t):
    """At the session change that starts session ``n`` the configuration pending for ``n``
    (if any) comes into force and leaves the pending list; the configurations pending for
    later sessions stay pending, as they were."""
    n = s.session + 1
    due = [c for at, c in s.storage.pending if at == n]
    expected = due[0] if due else s.storage.current
    later = tuple((at, c) for at, c in s.storage.pending if at > n)
    return _accepted(t) and t.storage.current == expected and t.storage.pending == later


@transition(M, ["CFG-7"], on=[SetConfiguration],
            witness=lambda m, s, a, t: _accepted(t) and any(at == s.session + 1 for at, _ in s.storage.pending)
            if spec_session_delay(m) > 1 else _accepted(t))
def setter_pending_for_scheduled_session(m, s, a, t):
    """An accepted setter in session ``k`` keeps its configuration pending for session
    ``k + delay`` (1 under reading=seed, 2 under reading=sdk: CFG-7): after it exactly one
    configuration is pending for that session, none for a later one, and what is pending
    for an earlier session is unchanged (a setter after the session change that follows an
    earlier setter keeps both: witnessed under reading=sdk)."""
    if not _accepted(t):
        return True
    at = s.session + spec_session_delay(m)
    before = tuple(e for e in s.storage.pending if e[0] < at)
    after = t.storage.pending
    return bool(after) and after[:-1] == before and after[-1][0] == at


# -- reachability --------------------------------------------------------------------------------


@sometimes(M, ["CFG-4", "CFG-5"])
def two_changes_in_force(m, s):
    """Two members changed in one session both come into force at the session change
    CFG-7 names."""
    g = m.config
    c = s.storage.current
    changed = [f.name for f in attrs.fields(HostConfiguration) if getattr(c, f.name) != getattr(g, f.name)]
    return len(changed) >= 2


@sometimes(M, ["CFG-5", "CFG-7"])
def most_configurations_pending(m, s):
    """As many configurations are pending at once as the reading's delay allows (CFG-7):
    one under reading=seed (for the next session); two under reading=sdk (for the next
    session and the one after it: a setter of the session after an earlier setter's)."""
    return len(s.storage.pending) >= spec_session_delay(m)


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

    def set_configuration(self, cs, call, session):
        if call.member in GOVERNANCE_MEMBERS:
            return super().set_configuration(cs, call, session)
        if call.member in {f.name for f in attrs.fields(HostConfiguration)}:
            new = attrs.evolve(self.get_update_base(cs), **{call.member: call.value})
            return self.schedule_pending(cs, new, session)
        return cs


@mutant(M, "cfg_applied_immediately", kills=["configuration_constant_within_session"])
class AppliedImmediately(ConfigurationMachine):
    """A setter changes the configuration in force at once."""

    def update_configuration(self, cs, changes, session):
        new = super().update_configuration(cs, changes, session)
        return ConfigurationState(new.pending[-1][1], new.pending)


@mutant(M, "cfg_builds_on_current", kills=["setter_builds_on_pending"])
class BuildsOnCurrent(ConfigurationMachine):
    """``update_configuration`` starts from the current configuration, losing earlier
    pending changes."""

    def get_update_base(self, cs):
        return cs.current


@mutant(M, "cfg_pending_kept", kills=["session_change_applies_pending"])
class PendingKept(ConfigurationMachine):
    """The pending slot is not emptied at a session change."""

    def process_configuration_session_change(self, cs, session):
        new, prev, cfg = super().process_configuration_session_change(cs, session)
        return ConfigurationState(new.current, cs.pending), prev, cfg


@mutant(M, "cfg_sdk_next_session", kills=["setter_pending_for_scheduled_session"], overrides={"reading": "sdk"})
class SdkNextSession(ConfigurationMachine):
    """Under reading=sdk a setter's configuration still comes into force at the next
    session (the seed's timing kept where polkadot-sdk's ``SESSION_DELAY`` applies: CFG-7)."""

    def config_session_delay(self, cfg):
        return 1


@mutant(M, "cfg_pending_applied_early", kills=["session_change_applies_pending"], overrides={"reading": "sdk"})
class PendingAppliedEarly(ConfigurationMachine):
    """A session change applies the latest pending configuration, not the one pending for
    the new session (invisible under reading=seed, where one configuration at most is
    pending, for the next session)."""

    def process_configuration_session_change(self, cs, session):
        cs = attrs.evolve(cs, pending=tuple((min(at, session), c) for at, c in cs.pending))
        return super().process_configuration_session_change(cs, session)


"""The composed runtime: the spine's rules reused, not rewritten (one implementation of
every rule). Its exhaustive run at tiny is pinned in ``tests/manifest.toml``; its mutants
are run in ``test_mutants.py``."""

from __future__ import annotations

import inspect

from paraspec.checker.registry import load_all
from paraspec.model.runtime import inclusion as rt_inclusion
from paraspec.model.runtime import scheduler as rt_scheduler

load_all()


def test_spine_rules_are_reused_not_rewritten():
    """The runtime's inclusion calls the spine's functions for AV-1..AV-5, INC-7, INC-8
    and the backing threshold; the scheduler uses model.groups."""
    src = inspect.getsource(rt_inclusion)
    for name in ("check_bitfield(", "counted_bits(", "sanitize_bitfields(", "is_candidate_available(", "is_backable("):
        assert name in src, name
    assert "is_more_than_two_thirds" not in src and "3 *" not in src
    ssrc = inspect.getsource(rt_scheduler)
    assert "partition(" in ssrc and "group_of_core(" in ssrc and "is_candidate_timed_out(" in ssrc

"""Scenario tests of the runtime behaviours polkadot-sdk settles (issue 13, item 3), each
restating the facts of a polkadot-sdk runtime unit test or function in
``polkadot/runtime/parachains/src/`` (written from the facts, not copied), under the reading
the decision gives: where the seeds are silent under both readings, where they are explicit
under ``reading=sdk`` only (and the seed reading is checked to differ).
"""

from __future__ import annotations

import pytest

from paraspec.checker.registry import UsageError, build, load_all
from paraspec.model.config import HARD_LIMITS
from paraspec.model.core import Rejected
from paraspec.model.readings import READINGS
from paraspec.model.runtime.configuration import ConfigurationState, SetConfiguration

load_all()


# -- CFG-6, decision CFG-D7: configuration.rs check_consistency --------------------------------------

@pytest.mark.parametrize("reading", READINGS)
@pytest.mark.parametrize("member", sorted(HARD_LIMITS))
def test_a_size_limit_above_its_hard_limit_is_refused_at_it_accepted(reading, member):
    m = build("configuration", overrides={"reading": reading})
    cs = ConfigurationState(current=m.config)
    limit = HARD_LIMITS[member]
    at = m.set_configuration(cs, SetConfiguration(member, limit))
    assert getattr(at.pending, member) == limit
    with pytest.raises(Rejected) as e:
        m.set_configuration(at, SetConfiguration(member, limit + 1))
    assert e.value.rule_id == "CFG-6"


def test_a_preset_override_above_a_hard_limit_is_one_line():
    with pytest.raises(UsageError) as e:
        build("configuration", overrides={"max_head_data_size": str(HARD_LIMITS["max_head_data_size"] + 1)})
    assert "CFG-6" in str(e.value) and "max_head_data_size" in str(e.value) and "\n" not in str(e.value)

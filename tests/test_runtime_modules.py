"""The runtime modules explored alone: configuration, paras, scheduler, on random walks
deeper than their exhaustive bounds. Their exhaustive runs are pinned in
``test_manifest.py``; their mutants are run in ``test_mutants.py``."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paraspec.checker.registry import build, load_all, properties_of
from tests.walks import check_walk

load_all()

# -- random walks deeper than the exhaustive bounds (Hypothesis) --------------------------------------

DEEPER = {
    "configuration": {"max_sessions": 8},
    "paras": {"max_blocks": 16, "max_sessions": 4, "max_codes": 5},
    "scheduler": {"max_blocks": 14, "max_sessions": 4},
}


@pytest.mark.parametrize("machine", sorted(DEEPER))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.integers(min_value=0, max_value=10_000), min_size=10, max_size=30))
def test_random_walks_keep_module_properties(machine, picks):
    m = build(machine, "tiny")
    for k, v in DEEPER[machine].items():
        setattr(m, k, v)
    check_walk(m, properties_of(machine), picks)

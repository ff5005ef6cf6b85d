"""The runtime modules explored alone: configuration, paras, scheduler, on random walks
deeper than their exhaustive bounds. Their exhaustive runs are pinned in
``tests/manifest.toml``; their mutants are run in ``test_mutants.py``."""

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


# -- parameters: used as given, never remapped ------------------------------------------------------------


def test_runtime_machines_run_on_their_presets_as_they_are():
    """The exploration timing is the runtime machines' own preset, not a remapping of the
    host's: the genesis configuration is the preset's, field for field."""
    from paraspec.model.runtime.bounds import EXPLORATION_TIMING

    rt = build("runtime", "tiny")
    genesis = next(iter(rt.init())).configuration.current
    assert genesis == rt.params
    assert {k: getattr(genesis, k) for k in EXPLORATION_TIMING} == EXPLORATION_TIMING
    assert (genesis.n_parachains, genesis.parathread_cores) == (1, 1)
    assert build("scheduler", "tiny").cfg is build("scheduler", "tiny").params


@pytest.mark.parametrize("machine,field,value", [
    ("runtime", "chain_availability_period", 3),
    ("runtime", "acceptance_period", 2),
    ("runtime", "n_validators", 9),
    ("scheduler", "group_rotation_frequency", 5),
    ("scheduler", "n_parachains", 2),
    ("paras", "acceptance_period", 3),
])
def test_a_set_value_is_explored_as_given(machine, field, value):
    m = build(machine, "tiny", overrides={field: value})
    assert getattr(m.params, field) == value
    if machine == "runtime":
        s = next(iter(m.init()))
        assert getattr(s.configuration.current, field) == value
        assert len(s.validators) == m.params.n_validators
        assert list(m.actions(s)), "the exploration is not switched off by the value"
    if machine == "scheduler":
        s = next(iter(m.init()))
        assert len(s.scheduler.cores) == m.params.n_parachains + m.params.parathread_cores
        assert m.cfg == m.params
    if machine == "paras":
        assert m.acceptance_period == value


@pytest.mark.parametrize("machine,field", [
    ("availability", "parathread_cores"), ("availability", "backing_threshold"),
    ("inclusion", "group_rotation_frequency"), ("configuration", "n_validators"),
    ("configuration", "max_candidates"), ("paras", "n_validators"), ("scheduler", "acceptance_period"),
    ("runtime", "max_code_size"), ("runtime", "session_length"), ("runtime", "max_candidates"),
])
def test_a_field_the_machine_does_not_read_is_refused(machine, field):
    from paraspec.checker.registry import UsageError

    with pytest.raises(UsageError) as e:
        build(machine, "tiny", overrides={field: 1})
    assert f"--set {field}: not a parameter of machine {machine!r}" in str(e.value) and "\n" not in str(e.value)

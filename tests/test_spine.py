"""The spine machines: the readings of the open questions. (Their exhaustive runs are pinned in
tests/manifest.toml: the full inclusion space on tiny, 506,365 states, is checked by ``make check``,
the smaller configurations by test_manifest.py.)"""

import pytest

from paraspec.checker.explicit import Checker
from paraspec.checker.registry import build, properties_of


def test_reject_reading_of_free_core_bits():
    m = build("availability", "tiny", overrides={"free_core_bit": "reject"})
    r = Checker(m).with_properties(properties_of("availability")).run()
    assert "AV-5" in r.rejections
    assert r.ok, [(p.property.name, p.verdict) for p in r.properties if not p.ok]


@pytest.mark.parametrize("rule", ["two_thirds", "sdk"])
def test_backing_readings(rule):
    m = build("inclusion", "tiny", overrides={"backing_threshold": rule, "max_candidates": 1})
    r = Checker(m).with_properties(properties_of("inclusion")).run()
    assert r.error is None
    assert all(p.ok or p.property.name == "core_freed_and_reoccupied_in_one_block" for p in r.properties)

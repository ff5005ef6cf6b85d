"""Checkpoints of the Ray search: saved between levels in the single-process engine's format,
so a search stopped by a bound resumes on Ray or in one process and ends with the report of a
search never interrupted (liveness included: the graph is saved too)."""

from __future__ import annotations

import pytest

from paraspec.checker.distributed.search import run_ray
from paraspec.checker.explicit import Checker
from paraspec.checker.registry import build, load_all, properties_of

from .test_search import summary

load_all()


def _checker(machine: str) -> Checker:
    return Checker(build(machine, None)).with_properties(properties_of(machine)).with_engine("explicit")


@pytest.mark.parametrize("resume_on", ["ray", "local"])
def test_stop_then_resume(tmp_path, resume_on):
    whole = summary(_checker("halts").run())
    ck = str(tmp_path / "ck")
    first = run_ray(_checker("halts").with_max_depth(6).with_checkpoint(ck, every=1e9), 2)
    assert first.stopped == "max_depth"
    again = _checker("halts").with_resume(ck)
    resumed = summary(run_ray(again, 2) if resume_on == "ray" else again.run())
    assert resumed == whole


def test_single_process_checkpoint_resumes_on_ray(tmp_path):
    whole = summary(_checker("backing").run())
    ck = str(tmp_path / "ck")
    assert _checker("backing").with_max_depth(4).with_checkpoint(ck).run().stopped == "max_depth"
    assert summary(run_ray(_checker("backing").with_resume(ck), 2)) == whole

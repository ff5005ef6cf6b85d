"""Simulation seeds and vector generation as Ray tasks: byte-identical to the local runs;
a partition actor killed mid-search is one line and exit 2, never a verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paraspec.checker.cli import main
from paraspec.checker.distributed.runtime import RayFailure
from paraspec.checker.distributed.search import run_ray
from paraspec.checker.explicit import Checker
from paraspec.checker.registry import build, load_all, properties_of

load_all()


def _report(path: Path) -> list:
    rows = json.loads(path.read_text())["results"]
    for r in rows:
        r.pop("elapsed_s")
    return rows


@pytest.mark.parametrize("extra", [[], ["--mutant", "cfg_any_origin"]])
def test_simulate_seeds_same_as_local(tmp_path, extra):
    args = ["check", "configuration", "--simulate", "--seed", "5", "--seeds", "3", "--steps", "3000",
            "--engine", "explicit", "-q", *extra]
    assert main([*args, "--json", str(tmp_path / "local.json")]) in (0, 1)
    assert main([*args, "--ray", "--json", str(tmp_path / "ray.json")]) in (0, 1)
    local, distributed = _report(tmp_path / "local.json"), _report(tmp_path / "ray.json")
    assert [r["engine"] for r in local] == [f"simulation(seed={s})" for s in (5, 6, 7)]
    assert distributed == local


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_vectors_generate_same_bytes(tmp_path):
    args = ["vectors", "generate", "--machine", "configuration", "--machine", "rescue", "-q"]
    assert main([*args, "--out", str(tmp_path / "local")]) == 0
    assert main([*args, "--out", str(tmp_path / "ray"), "--ray"]) == 0
    local, distributed = _tree(tmp_path / "local"), _tree(tmp_path / "ray")
    assert len(local) > 10
    assert distributed == local


def test_killed_partition_is_one_line_and_no_verdict(capsys):
    import ray

    m = build("backing", None)
    c = Checker(m).with_properties(properties_of("backing")).with_engine("explicit")

    def kill(depth, actors):
        if depth == 3:
            ray.kill(actors[1], no_restart=True)

    with pytest.raises(RayFailure) as e:
        run_ray(c, 2, on_level=kill)
    msg = str(e.value)
    assert "\n" not in msg and "died" in msg and "no verdict" in msg

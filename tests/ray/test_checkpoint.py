"""Checkpoints of the Ray search: one file per partition and a manifest (data only, versioned,
checksummed). A search stopped by a bound, or by a partition that died mid-level, resumes on
Ray and ends with the report of a search never interrupted (liveness included: each partition
saves its edges); a damaged or mismatched checkpoint is one line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from paraspec.checker.cli import main
from paraspec.checker.distributed.runtime import RayFailure
from paraspec.checker.distributed.search import run_ray
from paraspec.checker.explicit import Checker
from paraspec.checker.registry import build, load_all, properties_of
from paraspec.checker.results import CheckpointMismatch
from paraspec.properties.core import Kind, Property

from .test_search import summary

load_all()


def _checker(machine: str, props=None) -> Checker:
    return Checker(build(machine, None)).with_properties(props or properties_of(machine)).with_engine("explicit")


def _files(ck: Path) -> list[str]:
    return sorted(p.name.split(".")[0] for p in ck.iterdir())


@pytest.mark.parametrize("machine,bound", [("halts", {"max_states": 1500}), ("escalation", {"max_depth": 5})])
def test_stop_then_resume(tmp_path, machine, bound):
    """halts has a liveness property (the edges are saved per partition); the state bound falls
    inside a level, so the resumed search starts from the last checkpoint between levels."""
    whole = summary(_checker(machine).run())
    ck = tmp_path / "ck"
    c = _checker(machine).with_checkpoint(str(ck), every=0)
    c = c.with_max_states(bound["max_states"]) if "max_states" in bound else c.with_max_depth(bound["max_depth"])
    first = run_ray(c, 2)
    assert first.stopped in ("max_states", "max_depth") and first.states < whole["states"]
    assert _files(ck) == ["ray", "ray-part-0", "ray-part-1"]
    assert summary(run_ray(_checker(machine).with_resume(str(ck)), 2)) == whole


def test_single_process_checkpoint_resumes_on_ray(tmp_path):
    """A single-process checkpoint (saved between levels) resumes on Ray; the Ray checkpoint that
    search then saves (each edge with the partition owning its source) resumes too."""
    whole = summary(_checker("halts").run())
    ck = str(tmp_path / "ck")
    assert _checker("halts").with_max_depth(6).with_checkpoint(ck).run().stopped == "max_depth"
    assert summary(run_ray(_checker("halts").with_resume(ck), 2)) == whole
    assert (tmp_path / "ck" / "ray.ckpt").exists()
    assert summary(run_ray(_checker("halts").with_resume(ck), 2)) == whole


def _dies_once(marker: Path, after: int) -> Property:
    """An invariant that holds, but kills the partition process evaluating it (once: the first
    to remove ``marker``) after ``after`` calls there."""
    driver = os.getpid()
    calls = [0]

    def never_false(m, s) -> bool:
        if os.getpid() != driver:
            calls[0] += 1
            if calls[0] == after:
                try:
                    os.unlink(marker)
                except FileNotFoundError:
                    return True
                os._exit(1)
        return True

    return Property("never_false", Kind.ALWAYS, "backing", (), never_false)


def test_partition_killed_mid_level_then_resumed(tmp_path):
    """A partition process that exits while it expands a level: one line, no verdict; the
    checkpoint of the last level resumes to the uninterrupted report."""
    marker = tmp_path / "die"
    marker.write_text("")
    props = [*properties_of("backing"), _dies_once(marker, 1500)]
    whole = summary(_checker("backing", props).run())
    ck = tmp_path / "ck"
    with pytest.raises(RayFailure) as e:
        run_ray(_checker("backing", props).with_checkpoint(str(ck), every=0), 2)
    msg = str(e.value)
    assert "\n" not in msg and "died" in msg and "no verdict" in msg
    assert not marker.exists() and (ck / "ray.ckpt").exists()
    assert summary(run_ray(_checker("backing", props).with_resume(str(ck)), 2)) == whole


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    ck = tmp_path_factory.mktemp("saved") / "ck"
    run_ray(_checker("escalation").with_max_depth(4).with_checkpoint(str(ck), every=0), 2)
    return ck


def _damaged(saved: Path, tmp_path: Path, how) -> Path:
    ck = tmp_path / "ck"
    ck.mkdir()
    for p in saved.iterdir():
        (ck / p.name).write_bytes(p.read_bytes())
    how(ck)
    return ck


def _flip(path: Path, at: int) -> None:
    b = bytearray(path.read_bytes())
    b[at] ^= 1
    path.write_bytes(bytes(b))


def _swap(ck: Path) -> None:
    """The manifest names each partition's file for the other (its sha256s still match)."""
    from paraspec.checker.distributed.checkpoint import MAGIC, frame, unframe

    header, secs = unframe(MAGIC, (ck / "ray.ckpt").read_bytes(), "", "paraspec-ray-checkpoint")
    header["files"].reverse()
    del header["sections"]
    (ck / "ray.ckpt").write_bytes(frame(MAGIC, header, [("dead", "q", bytes(secs["dead"]))]))


DAMAGE = {
    "manifest bit": (lambda ck: _flip(ck / "ray.ckpt", 40), "checksum mismatch"),
    "partition bit": (lambda ck: _flip(sorted(ck.glob("ray-part-*"))[0], 60), "sha256 differs"),
    "partition missing": (lambda ck: sorted(ck.glob("ray-part-*"))[1].unlink(), "cannot read a partition file"),
    "partitions swapped": (_swap, "the file of partition 1 of 2, read as partition 0 of 2"),
    "truncated manifest": (lambda ck: (ck / "ray.ckpt").write_bytes((ck / "ray.ckpt").read_bytes()[:30]),
                           "truncated"),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damaged_checkpoint_is_one_line(saved, tmp_path, case):
    how, words = DAMAGE[case]
    ck = _damaged(saved, tmp_path, how)
    with pytest.raises(CheckpointMismatch) as e:
        run_ray(_checker("escalation").with_resume(str(ck)), 2)
    assert "\n" not in str(e.value) and words in str(e.value) and str(ck) in str(e.value)


def test_other_partition_count_or_check_is_refused(saved):
    from paraspec.checker.distributed.checkpoint import RayCheckpoints
    from paraspec.checker.explicit import _Search

    props = [p.name for p in properties_of("escalation")]
    mine = _Search(_checker("escalation"))._identity()
    RayCheckpoints(saved, mine, 2).load(props)  # the right one loads
    with pytest.raises(CheckpointMismatch, match="saved by 2 partitions: resume it with --ray-workers 2"):
        RayCheckpoints(saved, mine, 3).load(props)
    with pytest.raises(CheckpointMismatch, match="of another check"):
        RayCheckpoints(saved, {**mine, "symmetry": True}, 2).load(props)


def _rows(path: Path) -> list:
    rows = json.loads(path.read_text())["results"]
    for r in rows:
        for k in ("elapsed_s", "engine"):
            r.pop(k, None)
    return rows


def test_cli_checkpoint_then_resume(tmp_path, capsys):
    """`check --ray --checkpoint DIR --max-states N`, then `--resume DIR` (on Ray) gives the plain
    run's report; resuming it without --ray is one line and exit 2."""
    ck = str(tmp_path / "ck")
    assert main(["check", "halts", "-q", "--json", str(tmp_path / "plain.json")]) == 0
    assert main(["check", "halts", "--ray", "-q", "--checkpoint", ck, "--checkpoint-every", "0.001",
                 "--max-states", "2000"]) == 0
    assert (Path(ck) / "halts" / "ray.ckpt").exists()
    capsys.readouterr()
    assert main(["check", "halts", "-q", "--resume", ck]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "resume it with --ray" in err
    assert main(["check", "halts", "--ray", "-q", "--resume", ck, "--json", str(tmp_path / "ray.json")]) == 0
    assert _rows(tmp_path / "ray.json") == _rows(tmp_path / "plain.json")


def test_partition_file_holds_only_its_own_keys(saved):
    """What each partition's file holds: its share of the states (together: each once)."""
    from paraspec.checker.distributed.checkpoint import PART_MAGIC, unframe

    total = 0
    for k, p in enumerate(sorted(saved.glob("ray-part-*"))):
        header, secs = unframe(PART_MAGIC, p.read_bytes(), str(p), "paraspec-ray-partition")
        assert header["partition"] == k and header["partitions"] == 2
        total += header["states"]
        assert len(secs["fps"]) == 8 * header["states"]
    assert total == _checker("escalation").with_max_depth(4).run().states

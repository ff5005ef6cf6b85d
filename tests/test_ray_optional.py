"""Ray is an optional extra: without it, ``--ray`` is one line and exit 2 (no traceback)."""

from __future__ import annotations

import builtins

import pytest

from paraspec.checker.cli import main


@pytest.fixture
def no_ray(monkeypatch):
    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)


@pytest.mark.parametrize("argv", [
    ["check", "configuration", "--ray"],
    ["check", "--ray", "configuration", "--ray-workers", "3"],
    ["check", "configuration", "--simulate", "--steps", "10", "--ray", "auto"],
    ["vectors", "generate", "--machine", "configuration", "--out", "OUT", "--ray"],
])
def test_ray_missing_is_one_line(no_ray, argv, tmp_path, capsys):
    argv = [str(tmp_path / "v") if a == "OUT" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "paraspec[ray]" in err and "Traceback" not in err
    assert not (tmp_path / "v").exists()


def test_ray_workers_must_be_positive(capsys):
    assert main(["check", "configuration", "--ray", "--ray-workers", "0"]) == 2
    assert "--ray-workers" in capsys.readouterr().err

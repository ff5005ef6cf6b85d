"""`make tour`: every command of the README's tour, in order, on a fresh copy of the repository, each
checked against the exit code the README states for it (``# exit N`` in its comment). It takes a few
minutes (the tour's runs are small, but there are 18 of them, each a fresh process), so it is not part of
`make test` (the file name does not match ``test_*.py``); `make tour` names it, and `.ci/run` runs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^(\.venv/bin/paraspec\s.*?)\s+#\s*exit (\d+)\b")


def tour_commands() -> list[tuple[str, int]]:
    """(command, exit code) of every tour line of README.md, in order."""
    text = (ROOT / "README.md").read_text()
    block = text.split("The tour:", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    out = []
    for line in block.splitlines():
        if line.startswith(".venv/bin/paraspec"):
            m = LINE.match(line)
            assert m, f"a tour line without '# exit N': {line}"
            out.append((m.group(1), int(m.group(2))))
    return out


def test_the_tour_states_an_exit_code_for_every_command():
    cmds = tour_commands()
    assert len(cmds) >= 10


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """The tracked files of this checkout, copied (as a fresh clone would have them); the tour's
    ``.venv`` is this checkout's."""
    dest = tmp_path_factory.mktemp("tour") / "paraspec"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in files.decode("utf-8", "surrogateescape").split("\0"):
        if name and (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    return dest


def test_every_tour_command_exits_as_the_readme_says(fresh):
    timings = []
    for cmd, want in tour_commands():
        t0 = time.monotonic()
        res = subprocess.run(cmd, shell=True, cwd=fresh, capture_output=True, text=True, timeout=1200,
                             env={**os.environ, "COLUMNS": "160"})
        timings.append(f"{time.monotonic() - t0:8.1f}s  exit {res.returncode}  {cmd}")
        print(timings[-1], flush=True)
        tail = (res.stdout + res.stderr).strip().splitlines()[-3:]
        assert res.returncode == want, f"{cmd}: exit {res.returncode}, the README says {want}; last lines: {tail}"

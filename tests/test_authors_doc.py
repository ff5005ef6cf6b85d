"""docs/authors.md runs as written: its files are written and its shell commands run, in order, in a
fresh folder outside the repository (one bash script, so ``export`` carries over). A command marked
``# exits N`` must exit with N, every other one with 0."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"(?:<!-- (file|append): (\S+) -->\n)?```(\w+)\n(.*?)```", re.S)


def doc_script(text: str, folder: Path) -> str:
    """The tutorial as one bash script: files written (or appended to) as the doc shows them,
    then each command with its expected exit status checked."""
    lines = ["set -u"]
    for n, (op, name, lang, body) in enumerate(BLOCK.findall(text)):
        if op:
            tmp = folder / f".block{n}"
            tmp.write_text(body)
            redirect = ">" if op == "file" else ">>"
            lines.append(f"cat {shlex.quote(str(tmp))} {redirect} {shlex.quote(name)}")
        elif lang == "sh":
            for cmd in body.strip().splitlines():
                m = re.search(r"#\s*exits (\d+)\s*$", cmd)
                want = int(m.group(1)) if m else 0
                lines.append(f"{cmd}\nrc=$?; if [ $rc -ne {want} ]; then echo \"FAILED (exit $rc, want {want}): "
                             f"{cmd.replace(chr(34), chr(39))}\" >&2; exit 99; fi")
    return "\n".join(lines) + "\n"


def run_doc(tmp_path: Path, text: str) -> subprocess.CompletedProcess:
    work = tmp_path / "channel-spec"
    work.mkdir()
    script = doc_script(text, tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PARASPEC_PATH", "PYTHONPATH")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["COLUMNS"] = "200"
    return subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=900)


def test_the_tutorial_runs_as_written(tmp_path):
    text = (ROOT / "docs" / "authors.md").read_text()
    assert not str(tmp_path).startswith(str(ROOT))
    p = run_doc(tmp_path, text)
    assert p.returncode == 0, (p.stdout[-4000:], p.stderr[-3000:])
    out = p.stdout
    # what the tutorial says the reader sees
    assert "mutant deliver_from_empty: killed by delivered_le_sent in 1 step" in out
    assert "channel.delivered_le_sent is not inductive" in out
    assert "proved (k=1) with in_flight_balance" in out
    assert "channel: for preset small only (limit=2)" in out
    assert "send_deliver: ok" in out
    assert "2/2 mutants killed" in out
    assert "mutant lose_message: caught: killed by in_flight_balance in 2 steps" in out
    work = tmp_path / "channel-spec"
    assert list((work / "cti").glob("channel.delivered_le_sent.cti.itf.json"))
    assert (work / "vectors" / "index.json").exists()


def test_a_wrong_expectation_fails_the_tutorial(tmp_path):
    """The runner can fail: a command whose exit status differs from the one the doc states."""
    text = "```sh\nparaspec check no_such_machine\n```\n"
    p = run_doc(tmp_path, text)
    assert p.returncode == 99 and "FAILED (exit 2, want 0)" in p.stderr

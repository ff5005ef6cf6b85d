"""The rule catalogue: rule IDs parsed from the normative documents in ``spec/``.

A rule is a bullet line ``- **AV-6** title: text``; a decision is ``- **AV-D1** ...``
(a ``D`` before the number). Rules must be checked by properties; decisions record
readings of the seeds and need none.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs

__all__ = ["Rule", "SPEC_DIR", "load_rules", "RULE_LINE"]

SPEC_DIR = Path(__file__).resolve().parent.parent / "spec"
RULE_LINE = re.compile(r"^\s*[-*] \*\*([A-Z]{2,4}-D?\d+)\*\*\s*(.*)$")


@attrs.frozen
class Rule:
    id: str
    title: str
    text: str
    document: str
    line: int

    @property
    def is_decision(self) -> bool:
        return "-D" in self.id


def load_rules(spec_dir: Path | None = None) -> dict[str, Rule]:
    """Every rule and decision in ``spec/*.md`` by ID; a duplicate ID is an error."""
    spec_dir = spec_dir or SPEC_DIR
    rules: dict[str, Rule] = {}
    for path in sorted(spec_dir.glob("*.md")):
        fenced = False
        current: str | None = None  # the rule whose bullet the next indented line continues
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
                current = None
                continue
            if fenced:
                continue
            m = RULE_LINE.match(line)
            if not m:
                if current is not None and line.startswith("  ") and line.strip():
                    r = rules[current]
                    rules[current] = attrs.evolve(r, text=f"{r.text} {line.strip()}".strip())
                else:
                    current = None
                continue
            rid, rest = m.group(1), m.group(2)
            title, _, text = rest.partition(":")
            if rid in rules:
                other = rules[rid]
                raise ValueError(f"{path.name}:{n}: rule {rid} already defined at {other.document}:{other.line}")
            rules[rid] = Rule(rid, title.strip(), text.strip(), path.name, n)
            current = rid
    return rules

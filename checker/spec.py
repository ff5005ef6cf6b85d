"""The rule catalogue: rule IDs parsed from the normative documents in ``spec/``.

A rule is a bullet line ``- **AV-6** title: text``; a decision is ``- **AV-D1** ...``
(a ``D`` before the number). Rules must be checked by properties; decisions record
readings of the seeds and need none.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Iterable

import attrs

__all__ = ["Rule", "SpecMissing", "spec_documents", "load_rules", "RULE_LINE"]

#: the package the rule documents ship in (``spec/`` of the repository, package data of the wheel)
SPEC_PACKAGE = "paraspec.spec"
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


class SpecMissing(RuntimeError):
    """The rule documents are not where the installation should have put them."""


def spec_documents(spec_dir: Path | None = None) -> list:
    """The spec documents (``*.md``), sorted by name: from ``spec_dir``
    when given, else from the installed package data. An installation without them
    is broken, and says so rather than reporting zero rules."""
    root: Iterable = spec_dir.iterdir() if spec_dir is not None else resources.files(SPEC_PACKAGE).iterdir()
    docs = sorted((p for p in root if p.name.endswith(".md")), key=lambda p: p.name)
    if not docs:
        where = spec_dir if spec_dir is not None else f"package data of {SPEC_PACKAGE}"
        raise SpecMissing(f"no rule documents (*.md) in {where}: the installation is incomplete")
    return docs


def load_rules(spec_dir: Path | None = None) -> dict[str, Rule]:
    """Every rule and decision of the spec documents by ID; a duplicate ID is an error."""
    rules: dict[str, Rule] = {}
    for path in spec_documents(spec_dir):
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

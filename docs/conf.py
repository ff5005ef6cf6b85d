"""Sphinx configuration: renders spec/ (copied in at build time), the guides and the API."""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

project = "paraspec"
author = "the paraspec developers"
copyright = "2026, the paraspec developers"
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "undoc-members": False}
suppress_warnings = ["myst.xref_missing"]
nitpicky = False
html_theme = "alabaster"
html_static_path: list[str] = []

# spec/ is the normative text; render it in place of a copy that could drift.
_spec_out = Path(__file__).parent / "_spec"
if _spec_out.exists():
    shutil.rmtree(_spec_out)
_spec_out.mkdir()
for md in sorted((ROOT / "spec").glob("*.md")):
    shutil.copy(md, _spec_out / md.name)

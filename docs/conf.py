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
exclude_patterns = ["_build", "_extra", "Thumbs.db", ".DS_Store"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "undoc-members": False}
# ref.python: an attribute type named like fields of several classes (``f``, ``value``) is ambiguous
suppress_warnings = ["myst.xref_missing", "ref.python"]
nitpicky = False
html_theme = "alabaster"
html_static_path: list[str] = []
#: the model's source as HTML with line anchors (docs/gen_site.py writes it): the traceability links' targets
html_extra_path = ["_extra"]

# spec/ is the normative text; render it in place of a copy that could drift.
_spec_out = Path(__file__).parent / "_spec"
if _spec_out.exists():
    shutil.rmtree(_spec_out)
_spec_out.mkdir()
for md in sorted((ROOT / "spec").glob("*.md")):
    shutil.copy(md, _spec_out / md.name)

# the traceability pages, the state diagrams and the source pages: generated from the code (docs/gen_site.py)
sys.path.insert(0, str(Path(__file__).parent))
import gen_site  # noqa: E402

gen_site.generate(Path(__file__).parent)

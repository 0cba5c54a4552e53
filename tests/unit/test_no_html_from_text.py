"""The README's promise that untrusted text is never rendered as HTML, checked in the app's source: no
`unsafe_allow_html`, and the one `st.html` call renders a fixed CSS rule of the app's own (a constant, not text
from a document, a question or a model)."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "saige"


def test_no_unsafe_html_and_st_html_only_renders_a_constant() -> None:
    calls = []
    for path in sorted(UI.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert "unsafe_allow_html" not in source, path
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "html"
            ):
                calls.append((path.name, node))
    assert calls, "the label-wrapping CSS is rendered with st.html"
    for name, call in calls:
        (arg,) = call.args
        assert isinstance(arg, ast.Name) and arg.id.isupper(), f"{name}: st.html of a non-constant"
    from saige.ui.main import WRAP_LABELS_CSS

    assert WRAP_LABELS_CSS.startswith("<style>") and WRAP_LABELS_CSS.rstrip().endswith("</style>")
    assert "{" in WRAP_LABELS_CSS and "<script" not in WRAP_LABELS_CSS.lower()

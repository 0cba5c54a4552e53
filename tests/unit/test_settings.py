"""The one settings class: documented fields, strict names, and a README that documents every setting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from saige.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_field_has_a_description() -> None:
    missing = [name for name, f in Settings.model_fields.items() if not (f.description or "").strip()]
    assert missing == []


def test_readme_documents_every_setting() -> None:
    text = README.read_text(encoding="utf-8")
    undocumented = [name for name in Settings.model_fields if f"SAIGE_{name.upper()}" not in text]
    assert undocumented == []


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="top_kk"):
        Settings(top_kk=3)  # type: ignore[call-arg]


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SAIGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SAIGE_TOP_K", "7")
    s = Settings()
    assert s.data_dir == tmp_path
    assert s.top_k == 7
    assert s.index_dir == tmp_path / "index"


def test_secure_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("SAIGE_"):
            monkeypatch.delenv(name)
    s = Settings()
    assert s.host == "127.0.0.1"
    assert s.query_log is False
    assert s.llm_provider == "none"
    assert s.embedding_sha256 and len(s.embedding_sha256) == 64
    assert s.chroma_host is None


def test_bad_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAIGE_TOP_K", "many")
    with pytest.raises(ValidationError, match="top_k"):
        Settings()


def test_readme_gives_each_numeric_setting_its_real_default() -> None:
    """The settings table's numeric defaults are the ones Settings uses (the tuned ranking values included)."""
    rows = re.findall(r"^\| `SAIGE_([A-Z0-9_]+)` \| `([^`]+)` \|", README.read_text(encoding="utf-8"), re.M)
    checked = 0
    for name, shown in rows:
        field = Settings.model_fields.get(name.lower())
        assert field is not None, f"README documents SAIGE_{name}, which is not a setting"
        default = field.default
        if isinstance(default, int | float) and not isinstance(default, bool):
            assert float(shown) == float(default), (
                f"SAIGE_{name}: README says {shown}, the default is {default}"
            )
            checked += 1
    assert checked >= 15

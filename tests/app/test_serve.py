"""`saige serve` builds a local-only, telemetry-free `streamlit run` of the packaged script with the CLI's
settings."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from saige.serve import app_path, serve_command, settings_env, skip_component_scan
from saige.settings import Settings
from tests.app.conftest import REPO


def test_serve_command_binds_host_and_port_with_stats_off(tmp_path: Path) -> None:
    cmd = serve_command(Settings(data_dir=tmp_path, port=8642))
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4] == str(app_path())
    assert "--server.address=127.0.0.1" in cmd and "--server.port=8642" in cmd
    assert "--browser.gatherUsageStats=false" in cmd and "--server.headless=true" in cmd
    assert app_path().is_file()


def test_the_served_script_ships_inside_the_package_and_app_py_is_its_shim() -> None:
    import saige

    package = Path(saige.__file__).resolve().parent
    assert app_path().is_relative_to(package)  # a non-editable install carries it
    assert sorted(p.name for p in app_path().parent.glob("*.py")) == ["__init__.py", "saige_app.py"]
    shim = (REPO / "app.py").read_text(encoding="utf-8")
    script = app_path().read_text(encoding="utf-8")
    for text in (shim, script):
        assert "from saige.ui.main import main" in text and text.rstrip().endswith("main()")


def test_settings_env_passes_every_setting_with_absolute_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("SAIGE_")]:
        monkeypatch.delenv(name)  # CI sets SAIGE_CORPUS_DIR; this test is about unset values
    env = settings_env(Settings(data_dir=Path("rel/data"), llm_provider="ollama", query_log=True))
    assert env["SAIGE_DATA_DIR"] == str(Path("rel/data").resolve())
    assert env["SAIGE_LLM_PROVIDER"] == "ollama" and env["SAIGE_QUERY_LOG"] == "true"
    assert "SAIGE_CORPUS_DIR" not in env  # None stays unset
    assert Settings.model_validate({k[6:].lower(): v for k, v in env.items()}).data_dir.is_absolute()


def test_streamlit_config_is_local_and_quiet() -> None:
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["headless"] is True
    assert config["server"]["fileWatcherType"] == "none"
    assert config["client"]["toolbarMode"] == "minimal"


def test_serve_skips_streamlits_scan_for_custom_components(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamlit's runtime start reads every installed distribution's metadata looking for custom
    components; `saige serve` skips it (the app uses none): the runtime's discovery reads nothing."""
    import importlib.metadata

    from streamlit.components.v2 import manifest_scanner
    from streamlit.components.v2.component_manager import BidiComponentManager

    monkeypatch.setattr(
        manifest_scanner, "scan_component_manifests", manifest_scanner.scan_component_manifests
    )
    scans: list[int] = []

    def distributions() -> list[importlib.metadata.Distribution]:
        scans.append(1)
        return []

    monkeypatch.setattr(importlib.metadata, "distributions", distributions)
    BidiComponentManager().discover_and_register_components(start_file_watching=False)
    assert scans == [1]  # what Streamlit does on its own
    assert skip_component_scan()
    BidiComponentManager().discover_and_register_components(start_file_watching=False)
    assert scans == [1]  # skipped

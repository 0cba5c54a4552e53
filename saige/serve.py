"""`saige serve`: start the Streamlit app bound to settings.host, headless, usage statistics off.

The script is saige/webapp/saige_app.py, inside the package, so a plain (non-editable) `pip install` serves
too; `app.py` at the top of a checkout is its shim for `streamlit run app.py`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from saige.errors import SaigeError
from saige.settings import Settings

# The flags that keep Saige local and quiet, whatever ~/.streamlit/config.toml says.
STREAMLIT_FLAGS: tuple[str, ...] = (
    "--browser.gatherUsageStats=false",
    "--server.headless=true",
    "--server.fileWatcherType=none",
    "--server.runOnSave=false",
    "--client.toolbarMode=minimal",
    "--client.showErrorDetails=none",
    "--global.developmentMode=false",
)


def app_path() -> Path:
    """The Streamlit script shipped in the package (saige/webapp/saige_app.py)."""
    return Path(__file__).resolve().parent / "webapp" / "saige_app.py"


def settings_env(settings: Settings) -> dict[str, str]:
    """SAIGE_* variables that give the app process exactly these settings (paths made absolute)."""
    env: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, Path):
            text = str(value.expanduser().resolve())
        elif hasattr(value, "get_secret_value"):
            text = value.get_secret_value()
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        env[f"SAIGE_{name.upper()}"] = text
    return env


def streamlit_args(settings: Settings) -> list[str]:
    """`streamlit run` arguments of the packaged script, bound to settings.host and settings.port."""
    return [
        "run",
        str(app_path()),
        f"--server.address={settings.host}",
        f"--server.port={settings.port}",
        f"--browser.serverAddress={settings.host}",
        f"--browser.serverPort={settings.port}",
        *STREAMLIT_FLAGS,
    ]


def serve_command(settings: Settings) -> list[str]:
    """The equivalent stand-alone command (`python -m streamlit run ...`), for running the app by hand."""
    return [sys.executable, "-m", "streamlit", *streamlit_args(settings)]


def _no_components(max_workers: int | None = None) -> list[Any]:
    return []


def skip_component_scan() -> bool:
    """When its runtime starts, Streamlit reads the metadata of every installed distribution looking for
    custom components (`streamlit.components.v2.manifest_scanner.scan_component_manifests`: 0.23-0.28 s of
    CPU over this venv's 165 distributions, on the server's start). Saige's app uses no custom component, so
    `saige serve` skips that scan. False when this Streamlit has no such scanner (nothing to skip)."""
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:
        return False
    if not hasattr(manifest_scanner, "scan_component_manifests"):
        return False
    setattr(manifest_scanner, "scan_component_manifests", _no_components)  # noqa: B010
    return True


def run_serve(settings: Settings) -> int:
    """Run the app in this process until interrupted; returns its exit code.

    Streamlit's server runs here rather than in a child process (no second interpreter start-up), and the
    engine starts building in a background thread at once (saige/ui/main.py `warm_in_background`), so the
    browser's first page finds it built or nearly so.
    """
    path = app_path()
    if not path.is_file():
        raise SaigeError(
            f"{path}: the Saige app script is missing from the installed package; reinstall saige"
        )
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"warning: binding to {settings.host} exposes Saige beyond this machine; it has no login.",
            file=sys.stderr,
        )
    # The app's script reads its settings from SAIGE_* variables: exactly these settings.
    os.environ.update(settings_env(settings))
    os.environ["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    print(f"Saige: http://{settings.host}:{settings.port}  (Ctrl+C stops it)", file=sys.stderr)
    # The only modules both the server's start and the engine's build import (checked on streamlit 1.67),
    # imported here first: two threads importing one module at once can see it half-initialised.
    import html  # noqa: F401
    import multiprocessing  # noqa: F401

    from streamlit.web import cli as streamlit_cli

    from saige.ui.main import warm_in_background

    skip_component_scan()
    warm_in_background(lambda line: print(f"Saige: {line}", file=sys.stderr, flush=True))
    try:
        streamlit_cli.main(args=streamlit_args(settings), prog_name="streamlit", standalone_mode=False)
    except KeyboardInterrupt:
        return 130
    except SystemExit as exc:  # click or Streamlit ending the run with a code
        return exc.code if isinstance(exc.code, int) else 1
    return 0

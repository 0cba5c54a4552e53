"""`saige serve`: start the Streamlit app bound to settings.host, headless, usage statistics off.

The script is saige/webapp/saige_app.py, inside the package, so a plain (non-editable) `pip install` serves
too; `app.py` at the top of a checkout is its shim for `streamlit run app.py`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

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


def serve_command(settings: Settings) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_path()),
        f"--server.address={settings.host}",
        f"--server.port={settings.port}",
        f"--browser.serverAddress={settings.host}",
        f"--browser.serverPort={settings.port}",
        *STREAMLIT_FLAGS,
    ]


def run_serve(settings: Settings) -> int:
    """Run the app until interrupted; returns Streamlit's exit code."""
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
    env = {**os.environ, **settings_env(settings), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    print(f"Saige: http://{settings.host}:{settings.port}  (Ctrl+C stops it)", file=sys.stderr)
    proc = subprocess.Popen(serve_command(settings), env=env)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a terminated `saige serve` stops the app too
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt

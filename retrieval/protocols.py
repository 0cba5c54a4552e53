"""The narrow interfaces between Saige's stages. Each has two implementations that share one test suite."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from saige.types import Chunk, Control


class Filter(BaseModel):
    """Restrict a search to some documents and/or one lifecycle stage (printed stage name)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    doc_ids: tuple[str, ...] = ()
    stage: str | None = None

    def matches(self, chunk: Chunk) -> bool:
        if self.doc_ids and chunk.doc_id not in self.doc_ids:
            return False
        return not (self.stage is not None and chunk.stage != self.stage)

    @property
    def empty(self) -> bool:
        return not self.doc_ids and self.stage is None


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors. `name` identifies the model (it keys the embedding cache)."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


@runtime_checkable
class VectorStore(Protocol):
    """Holds chunks and their vectors; answers cosine-similarity queries."""

    def add(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None: ...

    def query(
        self, embedding: Sequence[float], k: int, flt: Filter | None = None
    ) -> list[tuple[Chunk, float]]:
        """The k nearest chunks as (chunk, cosine similarity), most similar first."""
        ...

    def chunks(self) -> list[Chunk]:
        """Every chunk in the store, in document and section order (BM25 is built from these)."""
        ...

    def count(self) -> int: ...


@runtime_checkable
class ControlStore(Protocol):
    """Holds the controls catalogue of a build, with one vector per control (for "similar" controls).

    Written with the chunks of a build and switched with them; both stores implement it.
    """

    def add_controls(self, controls: Sequence[Control], embeddings: Sequence[Sequence[float]]) -> None: ...

    def controls(self) -> list[Control]:
        """Every control, in the order they were added (the catalogue's order)."""
        ...

    def query_controls(
        self, embedding: Sequence[float], k: int, exclude_docs: Sequence[str] = ()
    ) -> list[tuple[Control, float]]:
        """The k controls nearest the embedding (cosine), outside `exclude_docs`, most similar first."""
        ...

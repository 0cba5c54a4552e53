"""The loaded engine plus what the app derives from it once (guideline catalogue, summaries, related).

`Library` wraps one `Saige` instance; `load_library` caches it per settings with `st.cache_resource`, so
the model and the index load once per process, never at import.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from saige.errors import SaigeError
from saige.settings import Settings
from saige.types import Chunk, Control, Document, Hit, RelatedControl

if TYPE_CHECKING:
    from retrieval.review import GuidelineRef
    from retrieval.service import Saige

log = logging.getLogger(__name__)


class Library:
    """Read-only views over one engine; memoised, safe to share between sessions."""

    SIMILAR = 5  # computed links per guideline or control (the Guidelines tab, the Controls view)
    REVIEW_SIMILAR = 3  # of which the design review lists the nearest

    def __init__(self, engine: Saige) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._chunks: list[Chunk] | None = None
        self._refs: list[GuidelineRef] | None = None
        self._texts: dict[tuple[str, tuple[str, ...]], str] = {}
        self._related: dict[tuple[str, tuple[str, ...]], list[Hit]] = {}
        self._crosswalk: dict[tuple[str, int], list[RelatedControl]] = {}
        self._missing: list[tuple[Document, str]] | None = None

    def warm_up(self) -> None:
        """Run one query through the engine so the first question does not pay for first-use setup (model
        weights paged in, tokenizer and search structures built). Failures are logged, never raised."""
        try:
            self.engine.search("secure AI supply chain", k=1)
        except Exception:
            log.exception("warm-up query failed")

    @property
    def settings(self) -> Settings:
        return self.engine.settings

    def documents(self) -> list[Document]:
        return self.engine.documents()

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self.documents() if d.id == doc_id), None)

    def guidelines_document(self) -> Document | None:
        # retrieval.review (the design review, ~0.15 s to import) loads when a view first needs it, not
        # when `saige serve` starts
        from retrieval.review import guidelines_document

        return guidelines_document(self.documents())

    def chunks(self) -> list[Chunk]:
        if self._chunks is None:
            self._chunks = self.engine.chunks()
        return self._chunks

    def guidelines(self) -> list[GuidelineRef]:
        """The guidelines of the Guidelines document (highest priority), by stage, in document order."""
        from retrieval.review import guideline_refs

        with self._lock:
            if self._refs is None:
                doc = self.guidelines_document()
                self._refs = guideline_refs(self.chunks(), doc) if doc is not None else []
            return self._refs

    def section_text(self, doc_id: str, section_path: Sequence[str]) -> str:
        """Full text of a section; '' when the index does not have it."""
        key = (doc_id, tuple(section_path))
        if key not in self._texts:
            try:
                self._texts[key] = self.engine.section_text(doc_id, list(section_path))
            except SaigeError:
                self._texts[key] = ""
        return self._texts[key]

    def summary(self, ref: GuidelineRef) -> str:
        """One line on a guideline: the first sentence of its text."""
        from retrieval.review import first_sentence

        return first_sentence(self.section_text(ref.doc_id, ref.section_path), limit=150)

    def related(self, ref: GuidelineRef, k: int = 5) -> list[Hit]:
        key = (ref.doc_id, tuple(ref.section_path))
        if key not in self._related:
            try:
                self._related[key] = self.engine.related(ref.doc_id, ref.section_path, k=k)
            except Exception:  # the browser still shows the guideline; the log has the cause
                log.exception("related guidance failed for %s", " > ".join(ref.section_path))
                return []
        return self._related[key]

    # --- controls and the crosswalk -------------------------------------------------------------------

    def controls(self, doc_id: str | None = None) -> list[Control]:
        """The controls catalogue (one document's, or all), in catalogue order."""
        try:
            return self.engine.controls(doc_id)
        except SaigeError:
            return []

    def control_documents(self) -> list[Document]:
        """The indexed documents that have controls in the catalogue, most authoritative first."""
        have = {c.doc_id for c in self.controls()}
        return [d for d in self.documents() if d.id in have]

    def crosswalk(self, name_or_key: str, k_similar: int | None = None) -> list[RelatedControl]:
        """Related guidance of a guideline (by title) or a control (by key): published links, then similar
        controls (memoised; [] with the cause logged when it fails)."""
        k = self.SIMILAR if k_similar is None else k_similar
        key = (name_or_key, k)
        if key not in self._crosswalk:
            try:
                self._crosswalk[key] = self.engine.related_guidance(name_or_key, k_similar=k)
            except Exception:  # the view still shows the control; the log has the cause
                log.exception("crosswalk failed for %s", name_or_key)
                return []
        return self._crosswalk[key]

    def guideline_links(self, ref: GuidelineRef) -> list[RelatedControl]:
        """A guideline's linked controls in the other frameworks (for the design review): the published links
        and the nearest computed ones (shares the Guidelines tab's memo)."""
        if not self.controls():
            return []
        links = self.crosswalk(ref.heading, self.SIMILAR)
        published = [r for r in links if r.link.provenance != "computed"]
        return published + [r for r in links if r.link.provenance == "computed"][: self.REVIEW_SIMILAR]

    def guideline_links_ready(self) -> bool:
        """Whether every guideline's links are computed already (the first review computes them)."""
        return not self.controls() or all(
            (r.heading, self.SIMILAR) in self._crosswalk for r in self.guidelines()
        )

    # --- documents the index lacks ----------------------------------------------------------------------

    def missing_documents(self) -> list[tuple[Document, str]]:
        """Manifest documents the index does not hold, each with how to add it (corpus/fetch.py)."""
        if self._missing is None:
            from corpus.fetch import document_status, how_to_add
            from corpus.manifest import load_manifest

            try:
                listed = load_manifest(self.settings)
            except SaigeError:
                listed = []
            indexed = {d.id for d in self.documents()}
            missing = []
            for doc in listed:
                if doc.id in indexed:
                    continue
                present = document_status(self.settings, doc).present
                how = (
                    "its file is in place: run `saige ingest` to index it"
                    if present
                    else how_to_add(self.settings, doc)
                )
                missing.append((doc, how))
            self._missing = missing
        return self._missing

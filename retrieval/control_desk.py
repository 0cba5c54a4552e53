"""The controls catalogue as the Saige facade offers it: browse, look up an identifier in any spelling, the
control a chunk holds, and control ids on an answer's citations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from retrieval.controls import ControlCatalogue, describe
from retrieval.protocols import ControlStore, VectorStore
from retrieval.search import DocumentNamer
from saige.errors import SaigeError
from saige.types import Answer, Chunk, Control, ControlMatch, Document


class ControlDesk:
    """Lookups over one index's controls catalogue; `namer` tells which documents a question names."""

    def __init__(
        self, catalogue: ControlCatalogue, namer: DocumentNamer, documents: Mapping[str, Document]
    ) -> None:
        self.catalogue = catalogue
        self.namer = namer
        self.documents = documents

    def controls(self, doc_id: str | None = None) -> list[Control]:
        """The controls catalogue in catalogue order, or one document's controls."""
        if doc_id is not None and doc_id not in self.documents:
            known = ", ".join(sorted(self.documents))
            raise SaigeError(f"doc: unknown document id {doc_id!r}; indexed documents: {known}")
        return self.catalogue.of_document(doc_id)

    def control(self, identifier: str, doc_id: str | None = None) -> Control:
        """One control by its id in any spelling ("GV-1.2-001", "gv 1.2 001", "Govern 1.2", "PW 1.2",
        "5.3" with doc_id) or by its key ("<doc id>::<id>"). SaigeError (one line) when unknown, naming the
        nearest ids, or when the id names controls in several documents and no doc_id is given."""
        found = self.catalogue.find(identifier, [doc_id] if doc_id else ())
        if not found and not doc_id:
            named = self.namer.named(identifier)
            found = [m for match in self.catalogue.lookup(identifier, named) for m in match.controls]
        one = self.catalogue.one_control(found)
        if one is not None:
            return one
        if found:
            options = "; ".join(describe(c) for c in found[:6])
            raise SaigeError(
                f"control: {identifier!r} names controls in several documents ({options}); add --doc"
            )
        near = self.catalogue.nearest(identifier, 5)
        hint = f"; nearest: {', '.join(describe(c) for c in near)}" if near else ""
        raise SaigeError(f"control: no control {identifier!r} in the catalogue{hint}")

    def lookup_identifier(self, question: str) -> list[ControlMatch]:
        """The identifiers a question names, each with its control(s), best first, and their context
        (parent, then siblings). Ambiguous ids resolve by the document the question names, else every
        document's candidate is returned (`ambiguous`)."""
        return self.catalogue.lookup(question, self.namer.named(question))

    def control_of(self, chunk: Chunk) -> Control | None:
        """The control a chunk holds (its id in the heading or first in the text), if any."""
        return self.catalogue.control_of(chunk)

    def label_controls(self, answer: Answer) -> Answer:
        """Citations of a chunk that holds a control carry the control's printed id."""
        if not self.catalogue or not answer.citations:
            return answer
        chunks = {h.chunk.chunk_id: h.chunk for h in answer.hits}
        cited = []
        for c in answer.citations:
            chunk = chunks.get(c.chunk_id)
            control = self.catalogue.control_of(chunk) if chunk is not None else None
            if control is not None and control.printed_id:
                c = c.model_copy(update={"control_id": control.control_id})
            cited.append(c)
        return answer.model_copy(update={"citations": cited})


def control_catalogue(store: VectorStore, documents: Sequence[Document]) -> ControlCatalogue:
    """The store's controls catalogue (empty when the store has none), most authoritative document first."""
    controls = store.controls() if isinstance(store, ControlStore) else []
    ranked = sorted(enumerate(documents), key=lambda pair: (-pair[1].priority, pair[0]))
    return ControlCatalogue(controls, doc_rank=[d.id for _, d in ranked])

"""The controls catalogue at query time: by key, by identifier in any spelling, parents and siblings, and
which chunk holds which control.

`ControlCatalogue.lookup(question, named_docs)` is the identifier lookup: every identifier the question
names (see retrieval/identifiers.py) is matched against the catalogue's own printed ids, by scheme prefix and
numbers. A word before the id that names a kind ("provision", "principle", "task") keeps the controls of
that kind when some match; the documents the question names keep theirs; an id that still exists in several
documents gives one candidate per document (`ambiguous`), most authoritative document first.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Iterable, Sequence

from retrieval.identifiers import IdKey, find_mentions, parse_id
from retrieval.tokenize import tokenize
from saige.types import Chunk, Control, ControlMatch


class ControlCatalogue:
    """Controls of every document, in catalogue order, indexed by key and by identifier."""

    def __init__(self, controls: Iterable[Control], doc_rank: Sequence[str] = ()) -> None:
        """doc_rank: document ids, most authoritative first (ties between documents that print one id)."""
        self.controls: list[Control] = list(controls)
        self._by_key: dict[str, Control] = {}
        self._by_idkey: dict[IdKey, list[Control]] = {}
        self._children: dict[tuple[str, str], list[Control]] = {}
        self._idkey: dict[str, IdKey] = {}
        for c in self.controls:
            self._by_key.setdefault(c.key, c)
            if c.parent_id is not None:
                self._children.setdefault((c.doc_id, c.parent_id), []).append(c)
            if not c.printed_id:
                continue
            key = parse_id(c.control_id)
            if key is None or not key.numbers:
                continue
            self._idkey[c.key] = key
            self._by_idkey.setdefault(key, []).append(c)
        self.prefixes: frozenset[str] = frozenset(k.prefix for k in self._by_idkey if k.prefix)
        order = {d: i for i, d in enumerate(doc_rank)}
        seen_docs = list(dict.fromkeys(c.doc_id for c in self.controls))
        self._doc_rank = {d: order.get(d, len(order) + i) for i, d in enumerate(seen_docs)}
        self._chunk_index: dict[str, dict[str, list[Chunk]]] | None = None
        self._indexed: list[Chunk] | None = None
        self._index_lock = threading.Lock()
        self._by_token: dict[str, dict[str, Control]] = {}
        for c in self.controls:
            k = self._idkey.get(c.key)
            if k is not None:
                self._by_token.setdefault(c.doc_id, {}).setdefault(k.token, c)

    def __len__(self) -> int:
        return len(self.controls)

    def __bool__(self) -> bool:
        return bool(self.controls)

    # --- access -------------------------------------------------------------------------------------

    def documents(self) -> list[str]:
        return list(self._doc_rank)

    def of_document(self, doc_id: str | None = None) -> list[Control]:
        return [c for c in self.controls if doc_id is None or c.doc_id == doc_id]

    def get(self, key: str) -> Control | None:
        """By `Control.key` ("<doc id>::<control id>")."""
        return self._by_key.get(key)

    def parent(self, control: Control) -> Control | None:
        if control.parent_id is None:
            return None
        return self._by_key.get(f"{control.doc_id}::{control.parent_id}")

    def children(self, control: Control) -> list[Control]:
        return list(self._children.get((control.doc_id, control.control_id), []))

    def siblings(self, control: Control) -> list[Control]:
        if control.parent_id is None:
            return []
        return [
            c for c in self._children.get((control.doc_id, control.parent_id), []) if c.key != control.key
        ]

    def context(self, control: Control) -> list[Control]:
        """The control's parent, then its siblings."""
        parent = self.parent(control)
        return ([parent] if parent is not None else []) + self.siblings(control)

    def _rank(self, controls: Iterable[Control]) -> list[Control]:
        return sorted(controls, key=lambda c: self._doc_rank.get(c.doc_id, len(self._doc_rank)))

    def find(self, identifier: str, doc_ids: Iterable[str] = ()) -> list[Control]:
        """Controls whose printed id is `identifier` in any spelling ("gv 1.2 001", "Govern 1.2", "5.3"),
        or whose key or exact id it is; restricted to `doc_ids` when given. Most authoritative first."""
        docs = frozenset(doc_ids)
        text = identifier.strip()
        exact = self._by_key.get(text)
        if exact is not None:
            return [exact]
        found = [
            c
            for c in self.controls
            if c.control_id.lower() == text.lower() and (not docs or c.doc_id in docs)
        ]
        if not found:
            mentions = find_mentions(text, self.prefixes)
            key = mentions[0].key if len(mentions) == 1 else parse_id(text)
            if key is not None:
                found = self._by_idkey.get(key, [])
                if mentions and mentions[0].kind_hint:
                    kind = [c for c in found if c.kind == mentions[0].kind_hint]
                    found = kind or found
        if docs:
            found = [c for c in found if c.doc_id in docs]
        return self._rank(found)

    def one_control(self, found: Sequence[Control]) -> Control | None:
        """The one control that several candidates of an id stand for, or None when the id is ambiguous.

        Candidates in one document are one control (the first). A framework's prefixed id ("GOVERN 1.2") that
        other documents reprint with the same kind (AI 600-1 prints each AI RMF subcategory above its actions)
        is one control: the most authoritative document's record. A bare number ("5.3") numbers different
        things in different documents, so it stays ambiguous."""
        if not found:
            return None
        if len({c.doc_id for c in found}) == 1:
            return found[0]
        keys = {self._idkey.get(c.key) for c in found}
        key = next(iter(keys)) if len(keys) == 1 else None
        if key is not None and key.prefix and len({c.kind for c in found}) == 1:
            return self._rank(found)[0]
        return None

    def nearest(self, identifier: str, n: int = 5) -> list[Control]:
        """The controls whose ids are spelled most like `identifier` (for "unknown id" messages)."""
        key = parse_id(identifier)
        wanted = key.token if key is not None else identifier.lower()
        tokens: dict[str, list[Control]] = {}
        for c in self.controls:
            k = self._idkey.get(c.key)
            tokens.setdefault(k.token if k is not None else c.control_id.lower(), []).append(c)
        close = difflib.get_close_matches(wanted, list(tokens), n=n, cutoff=0.5)
        return [c for t in close for c in tokens[t]][:n]

    # --- the identifier lookup ----------------------------------------------------------------------

    def lookup(self, question: str, named_docs: Iterable[str] = ()) -> list[ControlMatch]:
        """Every identifier the question names that the catalogue holds, in the order mentioned."""
        named = frozenset(named_docs)
        out: list[ControlMatch] = []
        seen: set[str] = set()
        for mention in find_mentions(question, self.prefixes):
            found = self._by_idkey.get(mention.key, [])
            if not found:
                continue
            if mention.kind_hint:
                found = [c for c in found if c.kind == mention.kind_hint] or found
            if named:
                found = [c for c in found if c.doc_id in named] or found
            if mention.key.prefix is None and not mention.kind_hint and not {c.doc_id for c in found} & named:
                continue  # a bare "1.1" is an id only with a kind ("provision 1.1") or a document named
            ranked = self._rank(found)
            ranked = [c for c in ranked if c.key not in seen]
            if not ranked:
                continue
            seen.update(c.key for c in ranked)
            ambiguous = len({c.doc_id for c in ranked}) > 1
            out.append(
                ControlMatch(
                    mention=mention.text,
                    controls=ranked,
                    ambiguous=ambiguous,
                    context=self.context(ranked[0]),
                )
            )
        return out

    # --- chunks -------------------------------------------------------------------------------------

    def index_chunks(self, chunks: Sequence[Chunk]) -> None:
        """Remember the chunks for `chunks_for`. Which chunks mention which identifier token is worked out
        on the first lookup: a process that never looks up an identifier (most one-shot questions) does not
        tokenize every chunk a second time."""
        with self._index_lock:
            self._indexed = list(chunks)
            self._chunk_index = None

    def _index(self) -> dict[str, dict[str, list[Chunk]]] | None:
        """Per document, the chunks that mention each identifier token (heading, first, any)."""
        with self._index_lock:
            if self._chunk_index is None and self._indexed is not None:
                index: dict[str, dict[str, list[Chunk]]] = {}
                tokens = {k.token for k in self._by_idkey}
                for chunk in self._indexed:
                    own = self._own_control(chunk)
                    if own is not None and own.key in self._idkey:
                        token = self._idkey[own.key].token
                        index.setdefault(chunk.doc_id, {}).setdefault("c:" + token, []).append(chunk)
                    heading = set(tokenize(chunk.section)) & tokens
                    body = [t for t in tokenize(chunk.text) if t in tokens]
                    for t in heading:
                        index.setdefault(chunk.doc_id, {}).setdefault("h:" + t, []).append(chunk)
                    if body:
                        index.setdefault(chunk.doc_id, {}).setdefault("t:" + body[0], []).append(chunk)
                        for t in set(body):
                            index.setdefault(chunk.doc_id, {}).setdefault("b:" + t, []).append(chunk)
                self._chunk_index = index
            return self._chunk_index

    def chunks_for(self, control: Control) -> list[Chunk]:
        """The chunks that hold this control: the chunks of its table row (`Chunk.control_id`), else its id
        in the section heading, else the first id in the chunk's text, else anywhere in the text (nearest
        page first). Needs `index_chunks` first."""
        key = self._idkey.get(control.key)
        index = self._index() if key is not None else None
        if key is None or index is None:
            return []
        per_doc = index.get(control.doc_id, {})
        for kind in ("c:", "h:", "t:", "b:"):
            found = per_doc.get(kind + key.token)
            if found:
                page = control.page_start
                if page is None:
                    return list(found)
                return sorted(found, key=lambda c: abs((c.page_start or page) - page))
        return []

    def _own_control(self, chunk: Chunk) -> Control | None:
        """The control whose table row the chunk was made from (`Chunk.control_id`), if any."""
        if chunk.control_id is None:
            return None
        return self._by_key.get(f"{chunk.doc_id}::{chunk.control_id}")

    def control_of(self, chunk: Chunk) -> Control | None:
        """The control a chunk holds: the row it was made from, else the id in its heading, else the first
        id of its text, among the controls of its document (None when it names none)."""
        own = self._own_control(chunk)
        if own is not None:
            return own
        doc_keys = self._by_token.get(chunk.doc_id)
        if not doc_keys:
            return None
        for t in reversed(tokenize(chunk.section)):
            if t in doc_keys:
                return doc_keys[t]
        for t in tokenize(chunk.text):
            if t in doc_keys:
                return doc_keys[t]
        return None


def describe(control: Control) -> str:
    """ "GV-1.2-001 (nist-ai-600-1-genai-profile-2024)": for one-line messages."""
    return f"{control.control_id} ({control.doc_id})"


def control_text(control: Control) -> str:
    """What is embedded for a control (for "similar" controls): its id, title and statement."""
    return f"{control.control_id} {control.title}\n{control.statement}".strip()[:2000]

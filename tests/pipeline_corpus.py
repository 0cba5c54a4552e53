"""A generated corpus for the ingest tests: tests.pdfgen PDFs and a manifest with their real hashes."""

from __future__ import annotations

import hashlib
import json
import textwrap
from collections.abc import Sequence
from pathlib import Path

from saige.settings import Settings

TOPICS = {
    "threats": (
        "Model the threats to your system",
        "Threat modelling identifies attackers, their goals and the paths they could take. "
        "Teams record each threat with its likelihood and impact. "
        "Adversarial inputs and data poisoning are threats specific to machine learning. ",
    ),
    "supply": (
        "Secure your supply chain",
        "Suppliers of models and datasets are assessed before use. "
        "Each third party component is tracked in a software bill of materials. "
        "Pretrained weights are verified against published hashes before loading. ",
    ),
    "logging": (
        "Monitor your system's inputs",
        "Inputs such as prompts and inference requests are logged for audit. "
        "Logs help detect compromise, misuse and natural data drift. "
        "Retention of logs respects privacy and data protection rules. ",
    ),
    "updates": (
        "Follow a secure by design approach to updates",
        "Updates are delivered automatically by default through a secure process. "
        "Each update is tested and evaluated before release to users. "
        "Users get notice of model changes through versioned interfaces. ",
    ),
}


def make_pdf(path: Path, title: str, sections: Sequence[tuple[str, str]], *, repeat: int = 4) -> Path:
    """A report built with tests.pdfgen: a cover page with the title, then one page per section with a
    15 pt heading and 10 pt body lines (the section's text repeated `repeat` times, wrapped)."""
    from tests.pdfgen import make_text_pdf

    pages: list[list[tuple[str, str]]] = [[("h1", title)]]
    for heading, body in sections:
        items: list[tuple[str, str]] = [("h2", heading)]
        for i in range(repeat):
            paragraph = f"{body}Paragraph {i + 1} of {heading.lower()} ends here."
            items.extend(("p", line) for line in textwrap.wrap(paragraph, 90))
        pages.append(items)
    path.parent.mkdir(parents=True, exist_ok=True)
    return make_text_pdf(path, pages)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def doc_entry(
    doc_id: str, file: str, sha: str, *, kind: str = "pdf", title: str | None = None
) -> dict[str, object]:
    return {
        "id": doc_id,
        "title": title or f"Test document {doc_id}",
        "short_title": doc_id,
        "publisher": "Saige tests",
        "published": "2024",
        "official_url": f"https://example.org/{file}",
        "download_url": None,
        "license": "test data",
        "redistributable": False,
        "sha256": sha,
        "file": file,
        "kind": kind,
    }


def write_manifest(path: Path, entries: Sequence[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"schema": 1, "documents": list(entries)}, indent=2), encoding="utf-8")
    return path


class TestCorpus:
    """A corpus folder + manifest + data dir under `root`, with helpers to change it between ingests."""

    __test__ = False  # not a pytest test class

    def __init__(self, root: Path) -> None:
        self.root = root
        self.corpus = root / "corpus"
        self.manifest = root / "manifest.json"
        self.data = root / "data"
        self.corpus.mkdir(parents=True, exist_ok=True)
        self.entries: dict[str, dict[str, object]] = {}

    @property
    def settings(self) -> Settings:
        return Settings(corpus_dir=self.corpus, manifest=self.manifest, data_dir=self.data)

    def add_pdf(self, doc_id: str, topics: Sequence[str], *, extra: str = "") -> Path:
        sections = [(TOPICS[t][0], TOPICS[t][1] + extra) for t in topics]
        path = make_pdf(self.corpus / f"{doc_id}.pdf", f"Report {doc_id}", sections)
        self.register(doc_id, path)
        return path

    def register(self, doc_id: str, path: Path, *, sha: str | None = None, kind: str = "pdf") -> None:
        self.entries[doc_id] = doc_entry(doc_id, path.name, sha or sha256(path), kind=kind)
        write_manifest(self.manifest, list(self.entries.values()))

    def remove(self, doc_id: str) -> None:
        self.entries.pop(doc_id)
        write_manifest(self.manifest, list(self.entries.values()))

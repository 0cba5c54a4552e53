"""Bad corpus input: one-line error naming the file and the reason, non-zero exit, old index intact."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.pipeline import ingest
from retrieval.index import open_current_store
from saige.cli import app
from tests.conftest import HashEmbedder
from tests.pdfgen import make_encrypted_pdf, make_image_only_pdf, make_not_a_pdf, make_truncated_pdf
from tests.pipeline_corpus import TestCorpus, sha256


@pytest.fixture
def corpus(tmp_path: Path) -> TestCorpus:
    tc = TestCorpus(tmp_path)
    tc.add_pdf("alpha", ["threats", "supply"])
    return tc


def not_a_pdf(tc: TestCorpus) -> str:
    tc.register("notes", make_not_a_pdf(tc.corpus / "notes.pdf"))
    return "notes.pdf"


def truncated_pdf(tc: TestCorpus) -> str:
    tc.register("cut", make_truncated_pdf(tc.corpus / "cut.pdf", keep=0.3))
    return "cut.pdf"


def encrypted_pdf(tc: TestCorpus) -> str:
    path = make_encrypted_pdf(tc.corpus / "locked.pdf")
    tc.register("locked", path)
    return "locked.pdf"


def no_text_pdf(tc: TestCorpus) -> str:
    path = make_image_only_pdf(tc.corpus / "scan.pdf")
    tc.register("scan", path)
    return "scan.pdf"


def hash_mismatch(tc: TestCorpus) -> str:
    path = tc.add_pdf("beta", ["logging"])
    tc.register("beta", path, sha="0" * 64)
    return "beta.pdf"


def missing_file(tc: TestCorpus) -> str:
    path = tc.add_pdf("gone", ["updates"])
    tc.register("gone", path)
    path.unlink()
    return "gone.pdf"


def empty_corpus(tc: TestCorpus) -> str:
    for path in tc.corpus.iterdir():
        path.unlink()
    return str(tc.corpus)


CASES: dict[str, tuple[Callable[[TestCorpus], str], str]] = {
    "not-a-pdf": (not_a_pdf, "not a PDF"),
    "truncated": (truncated_pdf, "corrupt or truncated"),
    "encrypted": (encrypted_pdf, "encrypted"),
    "no-text": (no_text_pdf, "no extractable text"),
    "hash-mismatch": (hash_mismatch, "sha256 mismatch (expected 0000"),
    "missing": (missing_file, "saige fetch"),
    "empty-folder": (empty_corpus, "no documents found in"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_fails_cleanly_and_keeps_the_old_index(
    case: str, corpus: TestCorpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = ingest(corpus.settings, embedder=HashEmbedder())
    make_bad, reason = CASES[case]
    name = make_bad(corpus)
    if case == "hash-mismatch":
        reason += f"..., got {sha256(corpus.corpus / name)})"
    monkeypatch.setenv("SAIGE_MANIFEST", str(corpus.manifest))
    result = CliRunner().invoke(
        app, ["ingest", "--corpus-dir", str(corpus.corpus), "--data-dir", str(corpus.data)]
    )
    assert result.exit_code != 0
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    line = errors[0]
    assert name in line
    for part in reason.split("..."):
        assert part in line, line
    assert "Traceback" not in result.output
    # the previous index still answers
    emb = HashEmbedder()
    store = open_current_store(corpus.settings, emb)
    assert (store.name, store.count()) == (before.collection, before.chunks)
    chunk, _ = store.query(emb.embed(["threat modelling attackers"])[0], 1)[0]
    assert chunk.doc_id == "alpha"

"""`make run` on a fresh machine: a loopback HTTP server stands in for the publishers and serves only some
of the files. `saige fetch --keep-going` reports the others and succeeds, `saige ingest --skip-missing`
indexes the rest, and `saige sources`, the index pointer and the engine name what is missing and how to
add it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.pipeline import ingest
from retrieval.index import current_pointer
from saige.cli import app
from saige.errors import CorpusError
from saige.settings import Settings
from tests.conftest import HashEmbedder
from tests.pipeline_corpus import TOPICS, doc_entry, make_pdf, sha256


@pytest.fixture
def publishers(tmp_path: Path) -> Iterator[tuple[str, dict[str, bytes]]]:
    files: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", files
    finally:
        httpd.shutdown()
        httpd.server_close()


def _corpus(tmp_path: Path, base: str, files: dict[str, bytes]) -> Settings:
    """Five documents: two served, one unreachable (404), one with no URL, one changed upstream."""
    made = tmp_path / "made"
    entries = []
    for doc_id, topics in (
        ("alpha", ["threats", "supply"]),
        ("beta", ["logging", "updates"]),
        ("gone", ["threats"]),
        ("nourl", ["supply"]),
        ("changed", ["updates"]),
    ):
        sections = [(TOPICS[t][0], TOPICS[t][1]) for t in topics]
        path = make_pdf(made / f"{doc_id}.pdf", f"Report {doc_id}", sections)
        entry = doc_entry(doc_id, path.name, sha256(path))
        entry["download_url"] = None if doc_id == "nourl" else f"{base}/{path.name}"
        entries.append(entry)
        if doc_id in ("alpha", "beta"):
            files[f"/{path.name}"] = path.read_bytes()
        elif doc_id == "changed":
            files[f"/{path.name}"] = path.read_bytes() + b"\n% a new upstream version\n"
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"schema": 1, "documents": entries}), encoding="utf-8")
    return Settings(data_dir=tmp_path / "data", manifest=manifest)


def test_fetch_keeps_going_and_ingest_leaves_out_what_could_not_be_had(
    tmp_path: Path, publishers: tuple[str, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, files = publishers
    settings = _corpus(tmp_path, base, files)
    monkeypatch.setenv("SAIGE_MANIFEST", str(settings.manifest))
    monkeypatch.setenv("SAIGE_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("SAIGE_CORPUS_DIR", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    runner = CliRunner()

    strict = runner.invoke(app, ["fetch"])
    assert strict.exit_code == 1  # without --keep-going a missing document is still a failure
    result = runner.invoke(app, ["fetch", "--keep-going"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "gone: download failed: HTTP 404" in out
    assert "nourl: no download URL; place the file nourl.pdf in SAIGE_CORPUS_DIR" in out
    assert "changed: sha256 mismatch, refused" in out
    assert "Continuing without 3 document(s)" in out
    assert sorted(p.name for p in settings.fetch_dir.glob("*.pdf")) == ["alpha.pdf", "beta.pdf"]

    with pytest.raises(CorpusError, match=r"gone\.pdf: missing"):
        ingest(settings, embedder=HashEmbedder())  # the strict ingest still names the first missing file
    report = ingest(settings, embedder=HashEmbedder(), skip_missing=True)
    assert report.missing == ["gone", "nourl", "changed"]
    assert [s.doc_id for s in report.per_document] == ["alpha", "beta"]
    pointer = current_pointer(settings)
    assert pointer is not None and pointer.missing == ["gone", "nourl", "changed"]

    sources = runner.invoke(app, ["sources"])
    assert sources.exit_code == 0, sources.output
    assert "2 of 5 documents present." in sources.output
    assert "Missing, and how to add them:" in sources.output
    lines = sources.output.splitlines()
    assert any(
        line.strip().startswith("gone: `saige fetch --doc gone`, or place the file gone.pdf")
        for line in lines
    )
    assert any(
        line.strip().startswith("nourl: place the file nourl.pdf in SAIGE_CORPUS_DIR") for line in lines
    )

    # The engine answers from what was ingested and knows what is missing.
    from retrieval.service import Saige

    engine = Saige.from_settings(settings, embedder=HashEmbedder())
    hits = engine.search("threat modelling attackers")
    assert hits and {h.chunk.doc_id for h in hits} <= {"alpha", "beta"}


def test_ingest_with_nothing_present_still_fails(
    tmp_path: Path, publishers: tuple[str, dict[str, bytes]]
) -> None:
    base, files = publishers
    settings = _corpus(tmp_path, base, files)
    with pytest.raises(CorpusError, match="no documents found"):
        ingest(settings, embedder=HashEmbedder(), skip_missing=True)

"""`saige fetch` and `saige sources` against a loopback HTTP server serving generated files."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from corpus.manifest import accepted_hash, load_manifest
from saige.cli_corpus import run_fetch, run_sources
from saige.errors import CorpusError
from saige.settings import Settings
from tests.conftest import real_corpus_dir

ONE = b"%PDF-1.4 first document " * 5000
TWO = b"# Second document\n\nSome text.\n" * 100
NEW_ONE = b"%PDF-1.4 first document, revised " * 5000


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Server:
    base: str
    files: dict[str, bytes]
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(base="", files={"/one.pdf": ONE, "/two.md": TWO})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            if self.path == "/moved/one.pdf":
                self.send_response(302)
                self.send_header("Location", "/one.pdf")
                self.end_headers()
                return
            if self.path == "/truncated.pdf":  # promises more bytes than it sends, then hangs up
                self.send_response(200)
                self.send_header("Content-Length", str(len(ONE)))
                self.end_headers()
                self.wfile.write(ONE[:1000])
                self.wfile.flush()
                self.close_connection = True
                return
            body = state.files.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def _doc(doc_id: str, file: str, url: str | None, digest: str, kind: str = "pdf") -> dict[str, object]:
    return {
        "id": doc_id,
        "title": f"Title of {doc_id}",
        "short_title": doc_id,
        "publisher": "Test",
        "published": "2024",
        "official_url": "https://example.org/official",
        "download_url": url,
        "license": "Public domain",
        "redistributable": True,
        "sha256": digest,
        "file": file,
        "kind": kind,
        "pages": 2 if kind == "pdf" else None,
    }


def _settings(tmp_path: Path, docs: list[dict[str, object]], corpus_dir: Path | None = None) -> Settings:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"schema": 1, "documents": docs}), encoding="utf-8")
    return Settings(data_dir=tmp_path / "data", manifest=manifest, corpus_dir=corpus_dir)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")


def test_downloads_and_verifies(tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    s = _settings(
        tmp_path,
        [
            _doc("one", "one.pdf", f"{server.base}/moved/one.pdf", sha(ONE)),  # through a redirect
            _doc("two", "two.md", f"{server.base}/two.md", sha(TWO), kind="text-extraction"),
        ],
    )
    assert run_fetch(s, accept_new_hash=False, only=[]) == 0
    assert (s.fetch_dir / "one.pdf").read_bytes() == ONE
    assert (s.fetch_dir / "two.md").read_bytes() == TWO
    assert sorted(p.name for p in s.fetch_dir.iterdir()) == ["one.pdf", "two.md"]  # no temp files left
    out = capsys.readouterr().out
    assert "one: downloaded and verified" in out and "two: downloaded and verified" in out

    # second run: everything present, no network call
    server.requests.clear()
    assert run_fetch(s, accept_new_hash=False, only=[]) == 0
    assert server.requests == []
    assert "nothing to download (no network call)" in capsys.readouterr().out


def test_only_selected_ids(tmp_path: Path, server: Server) -> None:
    s = _settings(
        tmp_path,
        [
            _doc("one", "one.pdf", f"{server.base}/one.pdf", sha(ONE)),
            _doc("two", "two.md", f"{server.base}/two.md", sha(TWO)),
        ],
    )
    assert run_fetch(s, accept_new_hash=False, only=["two"]) == 0
    assert server.requests == ["/two.md"]
    assert not (s.fetch_dir / "one.pdf").exists()
    with pytest.raises(CorpusError, match="--doc nope: no such document"):
        run_fetch(s, accept_new_hash=False, only=["nope"])


def test_mismatch_refuses_and_keeps_the_good_copy(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    s = _settings(tmp_path, [_doc("one", "one.pdf", f"{server.base}/one.pdf", sha(ONE))])
    assert run_fetch(s, accept_new_hash=False, only=[]) == 0
    capsys.readouterr()

    # The publisher replaces the file and the manifest pin is bumped to bytes nobody serves:
    # the cached copy no longer matches, and the download does not match either.
    server.files["/one.pdf"] = NEW_ONE
    pinned = "b" * 64
    s = _settings(tmp_path, [_doc("one", "one.pdf", f"{server.base}/one.pdf", pinned)])
    assert run_fetch(s, accept_new_hash=False, only=[]) == 1
    out = capsys.readouterr().out
    assert f"expected {pinned}" in out and f"actual {sha(NEW_ONE)}" in out
    assert "--accept-new-hash" in out
    assert (s.fetch_dir / "one.pdf").read_bytes() == ONE  # the existing copy is untouched
    assert sorted(p.name for p in s.fetch_dir.iterdir()) == ["one.pdf"]


def test_fresh_download_with_wrong_hash_leaves_nothing(tmp_path: Path, server: Server) -> None:
    s = _settings(tmp_path, [_doc("one", "one.pdf", f"{server.base}/one.pdf", sha(TWO))])
    assert run_fetch(s, accept_new_hash=False, only=[]) == 1
    assert not (s.fetch_dir / "one.pdf").exists()
    assert list(s.fetch_dir.iterdir()) == []


def test_accept_new_hash_stores_it_and_says_so(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    s = _settings(tmp_path, [_doc("one", "one.pdf", f"{server.base}/one.pdf", sha(ONE))])
    assert run_fetch(s, accept_new_hash=False, only=[]) == 0
    server.files["/one.pdf"] = NEW_ONE
    s = _settings(tmp_path, [_doc("one", "one.pdf", f"{server.base}/one.pdf", "c" * 64)])
    capsys.readouterr()

    assert run_fetch(s, accept_new_hash=True, only=[]) == 0
    out = capsys.readouterr().out
    assert "no longer matches the pin" in out and sha(NEW_ONE) in out
    assert (s.fetch_dir / "one.pdf").read_bytes() == NEW_ONE
    previous = s.fetch_dir / f"one.pdf.{sha(ONE)[:12]}.previous"
    assert previous.read_bytes() == ONE  # the old copy is kept aside
    doc = load_manifest(s)[0]
    assert accepted_hash(s, doc) == sha(NEW_ONE)

    # the accepted version counts as present afterwards: no new download
    server.requests.clear()
    assert run_fetch(s, accept_new_hash=False, only=[]) == 0
    assert server.requests == []
    assert "accepted new version" in capsys.readouterr().out


def test_missing_doc_without_url_and_network_errors(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    s = _settings(
        tmp_path,
        [
            _doc("asd", "asd.text-extraction.md", None, "d" * 64, kind="text-extraction"),
            _doc("gone", "gone.pdf", f"{server.base}/gone.pdf", "e" * 64),
            _doc("refused", "refused.pdf", "http://127.0.0.1:1/refused.pdf", "f" * 64),
            _doc("one", "one.pdf", f"{server.base}/one.pdf", sha(ONE)),
        ],
    )
    assert run_fetch(s, accept_new_hash=False, only=[]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(
        "asd: no download URL; place the file asd.text-extraction.md in SAIGE_CORPUS_DIR" in x for x in lines
    )
    assert any("gone: download failed: HTTP 404" in x for x in lines)
    assert any("refused: download failed:" in x for x in lines)
    assert (s.fetch_dir / "one.pdf").read_bytes() == ONE  # the others still downloaded
    assert "3 document(s) still missing or unverified: asd, gone, refused" in out


def test_all_present_in_corpus_dir_makes_no_network_call(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "one.pdf").write_bytes(ONE)
    (corpus / "two.md").write_bytes(TWO)
    s = _settings(
        tmp_path,
        [
            _doc("one", "one.pdf", f"{server.base}/one.pdf", sha(ONE)),
            _doc("two", "two.md", None, sha(TWO), kind="text-extraction"),
        ],
        corpus_dir=corpus,
    )
    assert run_fetch(s, accept_new_hash=False, only=[]) == 0
    assert server.requests == []
    assert not s.fetch_dir.exists()
    assert (
        "All 2 documents present and verified; nothing to download (no network call)."
        in capsys.readouterr().out
    )


def test_corpus_dir_copy_with_wrong_hash_is_reported_not_replaced(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "one.pdf").write_bytes(b"not the pinned bytes")
    s = _settings(tmp_path, [_doc("one", "one.pdf", f"{server.base}/one.pdf", sha(ONE))], corpus_dir=corpus)
    assert run_fetch(s, accept_new_hash=False, only=[]) == 1
    assert server.requests == []
    assert (corpus / "one.pdf").read_bytes() == b"not the pinned bytes"
    assert f"expected {sha(ONE)}" in capsys.readouterr().out


def _rows(out: str) -> dict[str, str]:
    rows: dict[str, str] = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 2 and cells[1]:
            rows[cells[1]] = line
    return rows


def test_sources_table_present_missing_mismatch(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "one.pdf").write_bytes(ONE)
    (corpus / "two.md").write_bytes(b"tampered")
    s = _settings(
        tmp_path,
        [
            _doc("one", "one.pdf", None, sha(ONE)),
            _doc("two", "two.md", None, sha(TWO), kind="text-extraction"),
            _doc("three", "three.pdf", None, "a" * 64),
        ],
        corpus_dir=corpus,
    )
    assert run_sources(s) == 0
    out = capsys.readouterr().out
    rows = _rows(out)
    assert "corpus dir" in rows["one"] and " ok " in rows["one"]
    assert "MISMATCH" in rows["two"]
    assert "missing" in rows["three"]
    assert "2 of 3 documents present." in out


def test_sources_on_an_empty_data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "empty")
    assert run_sources(settings) == 0
    out = capsys.readouterr().out
    rows = _rows(out)
    assert len([r for r in rows.values() if "missing" in r]) == 9
    assert "0 of 9 documents present." in out


@pytest.mark.acceptance
def test_sources_on_the_real_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = real_corpus_dir()
    if corpus is None:
        pytest.skip("SAIGE_CORPUS_DIR is not set")
    s = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    assert run_sources(s) == 0
    out = capsys.readouterr().out
    rows = _rows(out)
    ids = [d.id for d in load_manifest(s)]
    for doc_id in ids:
        assert "corpus dir" in rows[doc_id] and " ok " in rows[doc_id], rows.get(doc_id)
    assert "9 of 9 documents present." in out
    assert run_fetch(s, accept_new_hash=False, only=[]) == 0
    assert "nothing to download (no network call)" in capsys.readouterr().out


def test_interrupted_download_leaves_no_partial_file(
    tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    s = _settings(tmp_path, [_doc("one", "one.pdf", f"{server.base}/truncated.pdf", sha(ONE))])
    stale = s.fetch_dir / ".fetch-old.part"
    s.fetch_dir.mkdir(parents=True)
    stale.write_bytes(b"left by a killed fetch")
    os.utime(stale, (0, 0))
    assert run_fetch(s, accept_new_hash=False, only=[]) == 1
    assert "one: download failed:" in capsys.readouterr().out
    assert (
        list(s.fetch_dir.iterdir()) == []
    )  # neither the target, nor this run's temp file, nor the stale one


def test_cli_commands(tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from saige.cli import app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "one.pdf").write_bytes(ONE)
    s = _settings(tmp_path, [_doc("one", "one.pdf", f"{server.base}/one.pdf", sha(ONE))])
    monkeypatch.setenv("SAIGE_MANIFEST", str(s.manifest))
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]

    result = runner.invoke(app, ["sources", "--corpus-dir", str(corpus), *data])
    assert result.exit_code == 0, result.output
    assert "1 of 1 documents present." in result.output

    result = runner.invoke(app, ["fetch", "--corpus-dir", str(corpus), *data])
    assert result.exit_code == 0, result.output
    assert "nothing to download (no network call)" in result.output
    assert server.requests == []

    result = runner.invoke(app, ["fetch", "--doc", "unknown", *data])
    assert result.exit_code == 2
    assert "--doc unknown: no such document" in result.output

    result = runner.invoke(app, ["fetch", "--doc", "one", *data])
    assert result.exit_code == 0, result.output
    assert server.requests == ["/one.pdf"]
    assert (tmp_path / "data" / "corpus" / "one.pdf").read_bytes() == ONE

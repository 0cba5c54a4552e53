"""Loading and validating the corpus manifest; locating documents."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from corpus.manifest import load_manifest, parse_manifest, resolve_path, verify
from saige.errors import CorpusError
from saige.settings import Settings
from saige.types import Document


def _doc(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "doc-one",
        "title": "Document one",
        "short_title": "Doc one",
        "publisher": "Test",
        "published": "2024",
        "official_url": "https://example.org/one.pdf",
        "download_url": "https://example.org/one.pdf",
        "license": "Public domain",
        "redistributable": True,
        "sha256": "a" * 64,
        "file": "one.pdf",
        "kind": "pdf",
        "pages": 3,
    }
    base.update(over)
    return base


def _write(tmp_path: Path, docs: list[dict[str, object]]) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"schema": 1, "documents": docs}), encoding="utf-8")
    return path


def test_packaged_manifest_has_the_nine_documents(settings: Settings) -> None:
    docs = load_manifest(settings)
    assert len(docs) == 9
    assert all(isinstance(d, Document) for d in docs)
    guidelines = docs[0]
    assert guidelines.id == "ncsc-cisa-secure-ai-guidelines-2023"
    assert guidelines.priority == 10 and guidelines.pages == 20
    asd = next(d for d in docs if d.id == "asd-engaging-with-ai-2024")
    assert asd.download_url is None and asd.kind == "text-extraction"


def test_custom_manifest_via_settings(tmp_path: Path) -> None:
    path = _write(tmp_path, [_doc(), _doc(id="doc-two", file="two.md", kind="text-extraction", pages=None)])
    docs = load_manifest(Settings(data_dir=tmp_path / "d", manifest=path))
    assert [d.id for d in docs] == ["doc-one", "doc-two"]


@pytest.mark.parametrize(
    ("docs", "expected"),
    [
        ([_doc(sha256="xyz")], "documents[0] (doc-one).sha256: expected 64 hexadecimal"),
        ([{k: v for k, v in _doc().items() if k != "title"}], "documents[0] (doc-one).title: Field required"),
        ([_doc(kind="docx")], "documents[0] (doc-one).kind:"),
        ([_doc(), _doc()], "documents[1] (doc-one).id: duplicate document id"),
        ([_doc(file="../../etc/passwd")], "documents[0] (doc-one).file: must be a relative file name"),
        ([_doc(file="/etc/passwd")], "documents[0] (doc-one).file: must be a relative file name"),
        (
            [_doc(download_url="file:///etc/passwd")],
            "documents[0] (doc-one).download_url: must be an http(s)",
        ),
        ([_doc(extra_field=1)], "documents[0] (doc-one).extra_field: Extra inputs are not permitted"),
        ([], "documents: the manifest lists no documents"),
    ],
)
def test_malformed_manifest_names_file_and_field(
    tmp_path: Path, docs: list[dict[str, object]], expected: str
) -> None:
    path = _write(tmp_path, docs)
    with pytest.raises(CorpusError) as info:
        load_manifest(Settings(data_dir=tmp_path / "d", manifest=path))
    message = str(info.value)
    assert message.startswith(str(path))
    assert expected in message
    assert "\n" not in message


def test_unreadable_and_invalid_json(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(CorpusError, match=r"nope\.json: cannot read the manifest"):
        load_manifest(Settings(data_dir=tmp_path, manifest=missing))
    with pytest.raises(CorpusError, match=r"bad: not valid JSON \(line 1, column 2"):
        parse_manifest("{oops", "bad")
    with pytest.raises(CorpusError, match="documents: expected a list"):
        parse_manifest('{"docs": []}', "x")


def test_resolve_prefers_corpus_dir_then_fetch_cache(tmp_path: Path) -> None:
    doc = Document.model_validate(_doc())
    corpus = tmp_path / "corpus"
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    assert resolve_path(settings, doc) is None
    settings.fetch_dir.mkdir(parents=True)
    (settings.fetch_dir / "one.pdf").write_bytes(b"cached")
    assert resolve_path(settings, doc) == settings.fetch_dir / "one.pdf"
    corpus.mkdir()
    (corpus / "one.pdf").write_bytes(b"given")
    assert resolve_path(settings, doc) == corpus / "one.pdf"
    assert resolve_path(Settings(data_dir=tmp_path / "data"), doc) == settings.fetch_dir / "one.pdf"


def test_verify_streams_the_hash(tmp_path: Path) -> None:
    data = bytes(range(256)) * 10000  # larger than one read block
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert verify(path, expected) == expected
    assert verify(path, "0" * 64) == expected

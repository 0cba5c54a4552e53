"""Fuzz the document loader: malformed PDFs give a clean parse or a one-line CorpusError, never a hang.

Seeded, generated from valid tests.pdfgen PDFs: truncations, byte flips, broken xref / startxref,
encryption, a page tree claiming 10**9 pages, thousands of real pages, arrays nested 10k deep, and a
FlateDecode stream inflating to more than 1 GB. Each file goes through ingest.loader.parse_file with a
per-file time limit (the SAIGE_PARSE_TIMEOUT guard). The figures (outcomes, slowest file, peak RSS) are
printed: run with `-s` to see them.
"""

from __future__ import annotations

import collections
import json
import random
import resource
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.loader import parse_file
from saige.errors import CorpusError
from saige.types import Document, ParsedDocument
from tests.pipeline_corpus import TOPICS, make_pdf

REPO = Path(__file__).resolve().parents[2]
SEED = 20261126
PER_FILE_TIMEOUT = 20.0
BOMB_BYTES = 1100 * 2**20  # inflates to 1.1 GB


def document(path: Path) -> Document:
    return Document(
        id="fuzz",
        title="Fuzzed document",
        short_title="fuzz",
        publisher="Saige tests",
        published="2024",
        official_url="https://example.org/fuzz.pdf",
        license="test data",
        redistributable=False,
        sha256="0" * 64,
        file=path.name,
        kind="pdf",
    )


def base_pdf(folder: Path) -> bytes:
    sections = [(TOPICS[t][0], TOPICS[t][1]) for t in ("threats", "supply", "logging")]
    return make_pdf(folder / "base.pdf", "Fuzz base report", sections, repeat=3).read_bytes()


def _writer_pdf(folder: Path, name: str, build: Callable[..., None]) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(folder / "base.pdf"))
    build(writer)
    path = folder / name
    with path.open("wb") as out:
        writer.write(out)
    return path


def _encrypted(writer: object) -> None:
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")  # type: ignore[attr-defined]


def _encrypted_no_user_password(writer: object) -> None:
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")  # type: ignore[attr-defined]


def _thousands_of_pages(writer: object) -> None:
    page = writer.pages[1]  # type: ignore[attr-defined]
    for _ in range(3000):
        writer.add_page(page)  # type: ignore[attr-defined]


def _bomb(writer: object) -> None:
    from pypdf.generic import NameObject, StreamObject

    squeeze = zlib.compressobj(9)
    block = b"BT /F1 12 Tf 72 700 Td (bomb) Tj ET\n" * (2**20 // 36)
    parts = []
    written = 0
    while written < BOMB_BYTES:
        parts.append(squeeze.compress(block))
        written += len(block)
    parts.append(squeeze.flush())
    stream = StreamObject()
    stream.set_data(b"")
    stream._data = b"".join(parts)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    page = writer.pages[1]  # type: ignore[attr-defined]
    page[NameObject("/Contents")] = writer._add_object(stream)  # type: ignore[attr-defined]


def malformed(folder: Path) -> Iterator[tuple[str, Path]]:
    """(kind, path) for every malformed PDF, deterministic for SEED."""
    rng = random.Random(SEED)
    base = base_pdf(folder)
    n = 0

    def put(kind: str, data: bytes) -> tuple[str, Path]:
        nonlocal n
        n += 1
        path = folder / f"{n:03d}-{kind}.pdf"
        path.write_bytes(data)
        return kind, path

    for _ in range(80):
        yield put("truncated", base[: rng.randrange(0, len(base))])
    for _ in range(100):
        data = bytearray(base)
        for _ in range(rng.choice((1, 4, 16, 64, 256))):
            data[rng.randrange(len(data))] = rng.randrange(256)
        yield put("byte-flips", bytes(data))
    start = base.rindex(b"startxref")
    for _ in range(10):
        garbage = rng.choice((b"-1", b"999999999999", b"abc", str(rng.randrange(len(base))).encode()))
        yield put("bad-startxref", base[:start] + b"startxref\n" + garbage + b"\n%%EOF\n")
    xref = base.rindex(b"xref", 0, start)
    for _ in range(10):
        size = rng.randrange(20, 400)
        junk = bytes(rng.choice(b"0123456789 nf\n") for _ in range(size))
        yield put("bad-xref-table", base[: xref + 4] + b"\n" + junk + base[xref + 4 + size :])
    assert b"/Count " in base and b"/Type /Page\n" in base
    for count in (b"1000000000", b"-5", b"0", b"99999999999999999999"):
        yield put("huge-count", base.replace(b"/Count 4", b"/Count " + count, 1))
    for depth in (10_000, 50_000):
        deep = b"/Deep " + b"[" * depth + b"]" * depth + b" "
        yield put("nested-arrays", base.replace(b"/Type /Page\n", b"/Type /Page\n" + deep, 1))
        yield put(
            "nested-dicts",
            base.replace(
                b"/Type /Page\n", b"/Deep " + b"<</A " * depth + b">>" * depth + b" /Type /Page ", 1
            ),
        )
    yield "encrypted", _writer_pdf(folder, "encrypted.pdf", _encrypted)
    yield "encrypted-empty-user-password", _writer_pdf(folder, "owner.pdf", _encrypted_no_user_password)
    yield "thousands-of-pages", _writer_pdf(folder, "pages.pdf", _thousands_of_pages)
    yield "compression-bomb", _writer_pdf(folder, "bomb.pdf", _bomb)
    yield put("empty", b"")
    yield put("not-a-pdf", b"<html><script>alert(1)</script></html>")


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM (reset by exec, unlike ru_maxrss, which a child inherits)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fuzz(folder: Path) -> dict[str, Any]:
    """Parse every malformed PDF; the outcomes by kind, problems found, slowest file and peak RSS."""
    by_kind: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    problems: list[str] = []
    slowest = (0.0, "")
    files = 0
    for kind, path in malformed(folder):
        files += 1
        started = time.perf_counter()
        try:
            parsed = parse_file(document(path), path, timeout=PER_FILE_TIMEOUT)
        except CorpusError as exc:
            message = str(exc)
            if "\n" in message or not message.startswith(str(path)):
                problems.append(f"{kind} {path.name}: not one line naming the file: {message!r}")
            outcome = "timeout" if "took longer" in message else "corpus-error"
        except Exception as exc:  # the failure this test looks for: anything but a CorpusError
            problems.append(f"{kind} {path.name}: {type(exc).__name__}: {exc}")
            outcome = "unexpected"
        else:
            if not (isinstance(parsed, ParsedDocument) and parsed.pages):
                problems.append(f"{kind} {path.name}: parsed to nothing without an error")
            outcome = "parsed"
        seconds = time.perf_counter() - started
        if seconds > PER_FILE_TIMEOUT + 10:  # the guard fires at PER_FILE_TIMEOUT; slack for unwinding
            problems.append(f"{kind} {path.name}: took {seconds:.1f} s")
        slowest = max(slowest, (seconds, f"{kind} {path.name}"))
        by_kind[kind][outcome] += 1
    return {
        "files": files,
        "by_kind": {k: dict(v) for k, v in by_kind.items()},
        "problems": problems,
        "slowest_s": round(slowest[0], 2),
        "slowest": slowest[1],
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_malformed_pdfs_fail_cleanly(tmp_path: Path) -> None:
    """The fuzz runs in a fresh Python process, so its peak RSS is the loader's alone."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.reliability.test_fuzz_loader", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1700,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    outcomes: collections.Counter[str] = collections.Counter()
    for counts in report["by_kind"].values():
        outcomes.update(counts)
    print(f"\nfuzz: {report['files']} files, outcomes {dict(outcomes)}")
    for kind, counts in report["by_kind"].items():
        print(f"  {kind:30s} {counts}")
    print(
        f"slowest file {report['slowest_s']:.2f} s ({report['slowest']}); "
        f"peak RSS of the fuzz process {report['peak_rss_mb']:.0f} MB"
    )
    assert report["problems"] == []
    assert report["files"] >= 200
    assert report["by_kind"]["encrypted"] == {"corpus-error": 1}
    assert "parsed" not in report["by_kind"]["compression-bomb"]
    assert report["peak_rss_mb"] < 768, "a compression bomb must not be inflated in memory"


def test_parse_timeout_stops_a_slow_file(tmp_path: Path) -> None:
    """The SAIGE_PARSE_TIMEOUT guard: a 3000-page file with a 0.5 s limit fails with a one-line error."""
    base_pdf(tmp_path)
    path = _writer_pdf(tmp_path, "pages.pdf", _thousands_of_pages)
    handler, (timer, _) = signal.getsignal(signal.SIGALRM), signal.getitimer(signal.ITIMER_REAL)
    started = time.perf_counter()
    with pytest.raises(CorpusError) as info:
        parse_file(document(path), path, timeout=0.5)
    assert time.perf_counter() - started < 5
    assert str(info.value) == f"{path}: parsing took longer than 0.5 s (SAIGE_PARSE_TIMEOUT)"
    # the guard is gone afterwards: an outer alarm (pytest-timeout's, if any) is back with its time left
    assert signal.getsignal(signal.SIGALRM) == handler
    left = signal.getitimer(signal.ITIMER_REAL)[0]
    assert (left == 0) if not timer else (0 < left <= timer)
    assert len(parse_file(document(path), path, timeout=60).pages) > 3000


if __name__ == "__main__":  # the fuzz process of test_malformed_pdfs_fail_cleanly
    import logging

    logging.disable(logging.CRITICAL)  # pypdf logs every oddity it repairs
    print(json.dumps(fuzz(Path(sys.argv[1]))))

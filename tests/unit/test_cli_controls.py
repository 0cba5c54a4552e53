"""`saige control`, `saige controls` and `saige related` over the small fixture catalogue in a MemoryStore
(no model, no index on disk): what they print, their JSON, and their one-line errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from retrieval.service import Saige
from saige.cli import app
from saige.settings import Settings
from tests.control_fixtures import DSIT, GAI, MLP, RMF, SSDF, controls_engine, sample_controls


@pytest.fixture
def engine(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Saige:
    built = controls_engine(settings)
    monkeypatch.setattr(Saige, "from_settings", classmethod(lambda cls, s, **kw: built))
    return built


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def _json(*args: str) -> Any:
    result = _run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_control_json_is_the_record_verbatim_with_its_crosswalk(engine: Saige) -> None:
    data = _json("control", "gv 1.2 001", "--k", "2")
    wanted = next(c for c in sample_controls() if c.control_id == "GV-1.2-001")
    assert data["key"] == f"{GAI}::GV-1.2-001"
    assert data["statement"] == wanted.statement  # verbatim, not a snippet
    assert data["fields"] == [{"name": "GAI Risks", "value": "Data Privacy; Information Integrity"}]
    assert data["page_start"] == wanted.page_start and data["pages"] == f"p. {wanted.page_start}"
    published = [x for x in data["crosswalk"] if x["provenance"] == "published-in-corpus"]
    assert [x["control"]["key"] for x in published] == [f"{RMF}::GOVERN 1.2"]
    assert published[0]["provenance_label"] == "published in the corpus"
    similar = [x for x in data["crosswalk"] if x["provenance"] == "computed"]
    assert len(similar) == 2
    assert all(x["provenance_label"].startswith("similar") and x["score"] is not None for x in similar)
    assert all(x["control"]["doc_id"] != GAI for x in similar)


def test_control_text_shows_statement_columns_and_provenance(engine: Saige) -> None:
    result = _run("control", "PW 1.2", "--k", "1")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Track and maintain the software's security requirements, risks, and design decisions." in out
    assert "Informative References:" in out and "AI RMF: Govern 4.1, 4.2; Map 4.2" in out
    assert "published in the corpus:" in out
    assert "GOVERN 4.1: Organizational policies foster" in out and "MAP 4.2: Internal risk controls" in out
    assert f"stated in: {SSDF}, p. 5: Informative References: AI RMF" in out  # where the link is stated
    assert "similar (computed, not a published mapping):" in out


def test_unknown_id_is_one_line_naming_it_with_exit_2(engine: Saige) -> None:
    result = _run("control", "GV-1.2-009")
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "'GV-1.2-009'" in lines[0]
    assert "Traceback" not in result.output


def test_an_id_printed_by_two_documents_asks_for_doc(engine: Saige) -> None:
    result = _run("control", "5.3")
    assert result.exit_code == 2 and "--doc" in result.output and "'5.3'" in result.output
    assert _json("control", "5.3", "--doc", DSIT, "--k", "0")["key"] == f"{DSIT}::5.3"
    assert _json("control", "5.3", "--doc", MLP, "--k", "0")["key"] == f"{MLP}::5.3"


def test_controls_lists_the_catalogue_and_one_document(engine: Saige) -> None:
    everything = _json("controls")
    assert [c["key"] for c in everything] == [c.key for c in sample_controls()]
    ssdf = _json("controls", "--doc", SSDF)
    assert [c["control_id"] for c in ssdf] == ["PW.1", "PW.1.2", "PW.1.3"]
    text = _run("controls", "--doc", SSDF)
    assert text.exit_code == 0 and "3 controls" in text.stdout and "PW.1.3" in text.stdout
    unknown = _run("controls", "--doc", "no-such-doc")
    assert unknown.exit_code == 2 and "'no-such-doc'" in unknown.output


def test_related_of_a_guideline_shows_owasp_links_with_their_source(engine: Saige) -> None:
    data = _json("related", "Identify, track and protect your assets", "--k", "0")
    assert data["source"]["title"] == "Identify, track and protect your assets"
    owasp = [x for x in data["related"] if x["provenance"] == "published-elsewhere"]
    principles = [
        x["control"]["control_id"] for x in owasp if x["control"] and x["control"]["doc_id"] == DSIT
    ]
    assert principles == ["Principle 5"]
    assert all("owaspai.org/goto/jointguidelines" in x["origin"] for x in owasp)
    assert not [x for x in data["related"] if x["provenance"] == "computed"]  # --k 0
    text = _run("related", "Identify, track and protect your assets", "--k", "0")
    assert "published elsewhere:" in text.stdout and "stated in: OWASP AI Exchange" in text.stdout


def test_related_of_a_control_and_of_an_unknown_name(engine: Saige) -> None:
    data = _json("related", "MAP 4.2", "--k", "0")
    assert [x["control"]["key"] for x in data["related"]] == [f"{SSDF}::PW.1.2"]  # the reverse reference
    result = _run("related", "Not a guideline or control")
    assert result.exit_code == 2 and "'Not a guideline or control'" in result.output


def test_a_prefixed_id_reprinted_by_another_document_is_one_control(settings: Settings) -> None:
    """AI 600-1 reprints the AI RMF subcategory GOVERN 1.2 above its actions: "Govern 1.2" is the AI RMF's
    subcategory, not an ambiguous id; a bare number printed by two documents stays ambiguous."""
    from saige.errors import SaigeError

    rmf = next(c for c in sample_controls() if c.key == f"{RMF}::GOVERN 1.2")
    reprint = rmf.model_copy(update={"doc_id": GAI, "parent_id": None})
    engine = controls_engine(settings, [*sample_controls(), reprint])
    assert engine.control("Govern 1.2").key == f"{RMF}::GOVERN 1.2"
    assert engine.control("GOVERN 1.2", GAI).key == f"{GAI}::GOVERN 1.2"
    with pytest.raises(SaigeError, match="several documents"):
        engine.control("5.3")

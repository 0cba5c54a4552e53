"""Identifier lookup, catalogue access, crosswalk and citations' control ids, over a small fixture catalogue
in both stores' shape (MemoryStore; the Chroma companion collection is covered by tests/store_checks.py)."""

from __future__ import annotations

import pytest

from retrieval.controls import ControlCatalogue
from retrieval.crosswalk import load_owasp, rmf_references
from retrieval.identifiers import IdKey
from retrieval.service import Saige
from saige.errors import SaigeError
from saige.settings import Settings
from tests.control_fixtures import (
    DOC_RANK,
    DSIT,
    GAI,
    GUIDE,
    MLP,
    RMF,
    SSDF,
    chunk_for,
    controls_engine,
    sample_controls,
)


@pytest.fixture
def catalogue() -> ControlCatalogue:
    return ControlCatalogue(sample_controls(), doc_rank=DOC_RANK)


@pytest.fixture
def engine(settings: Settings) -> Saige:
    # prose that mentions many ids but holds none of them (it must not win an identifier lookup)
    filler = chunk_for(sample_controls()[0], 0).model_copy(
        update={
            "chunk_id": "prose",
            "doc_id": GAI,
            "section": "Introduction",
            "section_path": ["Introduction"],
            "text": "This profile lists actions such as GV-1.2-001 under GOVERN 1.2 and MAP 4.2 of the AI RMF.",
            "section_order": 900,
        }
    )
    return controls_engine(settings, extra=[filler])


def test_find_in_any_spelling(catalogue: ControlCatalogue) -> None:
    for spelling in ("GV-1.2-001", "gv-1.2-001", "GV 1.2 001", "gv 1.2.001"):
        assert [c.key for c in catalogue.find(spelling)] == [f"{GAI}::GV-1.2-001"], spelling
    for spelling in ("GOVERN 1.2", "Govern 1.2", "GV-1.2", "gv 1.2"):
        assert [c.key for c in catalogue.find(spelling)] == [f"{RMF}::GOVERN 1.2"], spelling
    assert [c.key for c in catalogue.find("MAP4.2")] == [f"{RMF}::MAP 4.2"]
    assert [c.key for c in catalogue.find("PW 1.2")] == [f"{SSDF}::PW.1.2"]
    # "5.3" is printed by two documents: both, most authoritative first; a document narrows it
    assert [c.doc_id for c in catalogue.find("5.3")] == [MLP, DSIT]
    assert [c.key for c in catalogue.find("5.3", [DSIT])] == [f"{DSIT}::5.3"]


def test_lookup_resolves_kind_and_document_and_gives_context(catalogue: ControlCatalogue) -> None:
    (m,) = catalogue.lookup("What does provision 5.3 of the code of practice say?", {DSIT})
    assert [c.key for c in m.controls] == [f"{DSIT}::5.3"] and not m.ambiguous
    assert [c.control_id for c in m.context] == ["Principle 5", "5.1"]  # parent, then siblings
    (m,) = catalogue.lookup("Summarise principle 5", set())
    assert [c.key for c in m.controls] == [f"{DSIT}::Principle 5"]
    (m,) = catalogue.lookup("What does provision 5.3 require?", set())
    assert [c.key for c in m.controls] == [f"{DSIT}::5.3"]  # the kind word decides
    (m,) = catalogue.lookup("Explain 5.3 in the ML principles", {MLP})
    assert [c.key for c in m.controls] == [f"{MLP}::5.3"]
    (m,) = catalogue.lookup("compare item 5.3", set())
    assert m.ambiguous and [c.doc_id for c in m.controls] == [MLP, DSIT]  # a candidate from each
    assert catalogue.lookup("SSDF version 1.1 and 5.3 million records", set()) == []
    (m,) = catalogue.lookup("What does action GV-1.2-001 recommend?", set())
    assert [c.control_id for c in m.context] == ["GV-1.2-002"]  # parent GOVERN 1.2 is in another document


def test_search_puts_the_named_control_first_then_its_family(engine: Saige) -> None:
    hits = engine.search("What does GV 1.2 001 recommend?", k=5)
    assert engine.control_of(hits[0].chunk).key == f"{GAI}::GV-1.2-001"  # type: ignore[union-attr]
    assert engine.control_of(hits[1].chunk).key == f"{GAI}::GV-1.2-002"  # type: ignore[union-attr]
    hits = engine.search("Govern 1.2", k=3)
    assert engine.control_of(hits[0].chunk).key == f"{RMF}::GOVERN 1.2"  # type: ignore[union-attr]
    hits = engine.search("pw 1.2", k=3)
    assert engine.control_of(hits[0].chunk).key == f"{SSDF}::PW.1.2"  # type: ignore[union-attr]
    assert engine.control_of(hits[1].chunk).key == f"{SSDF}::PW.1"  # type: ignore[union-attr]


def test_answers_citing_a_control_carry_its_id(engine: Saige) -> None:
    answer = engine.ask("What does action GV-1.2-001 recommend?")
    assert not answer.abstained
    assert answer.citations[0].control_id == "GV-1.2-001"


def test_control_and_controls_api(engine: Saige) -> None:
    assert engine.control("gv 1.2 001").key == f"{GAI}::GV-1.2-001"
    assert engine.control("5.3", DSIT).key == f"{DSIT}::5.3"
    assert [c.control_id for c in engine.controls(SSDF)] == ["PW.1", "PW.1.2", "PW.1.3"]
    assert len(engine.controls()) == len(sample_controls())
    with pytest.raises(SaigeError, match=r"several documents .*--doc"):
        engine.control("5.3")
    with pytest.raises(SaigeError, match=r"no control 'GV-1.2-009'.*nearest: GV-1.2-00") as err:
        engine.control("GV-1.2-009")
    assert "\n" not in str(err.value)
    with pytest.raises(SaigeError, match="unknown document id"):
        engine.controls("no-such-doc")
    (m,) = engine.lookup_identifier("MAP4.2 in the AI RMF")
    assert m.controls[0].key == f"{RMF}::MAP 4.2"


def test_rmf_references_parse_informative_references() -> None:
    text = "SSDF: PO.1.1; AI RMF: Govern 4.1, 4.2; Map 5.1; Measure 2.7 ISO 27001: A.5"
    assert rmf_references(text) == [
        IdKey("GV", (4, 1)),
        IdKey("GV", (4, 2)),
        IdKey("MP", (5, 1)),
        IdKey("MS", (2, 7)),
    ]


def test_related_guidance_has_provenance(engine: Saige) -> None:
    action = engine.related_guidance("GV-1.2-001", k_similar=2)
    published = [r for r in action if r.link.provenance == "published-in-corpus"]
    assert [r.control.key for r in published if r.control] == [f"{RMF}::GOVERN 1.2"]
    similar = [r for r in action if r.link.provenance == "computed"]
    assert similar and all(r.link.origin.startswith("similar") and r.link.score is not None for r in similar)
    assert all(r.control.doc_id != GAI for r in similar if r.control)

    task = engine.related_guidance("PW.1.2", k_similar=0)
    assert {r.control.key for r in task if r.control} == {f"{RMF}::GOVERN 4.1", f"{RMF}::MAP 4.2"}
    subcat = engine.related_guidance("MAP 4.2", k_similar=0)
    assert {r.control.key for r in subcat if r.control} == {f"{SSDF}::PW.1.2"}  # the reverse direction
    gv12 = engine.related_guidance("Govern 1.2", k_similar=0)
    assert {r.control.key for r in gv12 if r.control} == {f"{GAI}::GV-1.2-001", f"{GAI}::GV-1.2-002"}


def test_related_guidance_of_a_guideline_includes_owasp_pairs(engine: Saige) -> None:
    related = engine.related_guidance("Identify, track and protect your assets", k_similar=0)
    owasp = [r for r in related if r.link.provenance == "published-elsewhere"]
    assert owasp and all("owaspai.org/goto/jointguidelines" in r.link.origin for r in owasp)
    principle = [r for r in owasp if r.control is not None and r.control.doc_id == DSIT]
    assert [r.control.control_id for r in principle if r.control] == ["Principle 5"]
    urls = {r.link.target_label: r.link.target_url for r in owasp if r.control is None}
    assert urls["SEGREGATE DATA"] == "https://owaspai.org/goto/segregatedata/"
    back = engine.related_guidance("Principle 5", k_similar=0)
    assert [r.link.target_label for r in back if r.link.provenance == "published-elsewhere"] == [
        "Secure development › Identify, track and protect your assets"
    ]


def test_owasp_data_file_carries_source_and_licence() -> None:
    mapping = load_owasp()
    assert mapping.permalink == "https://owaspai.org/goto/jointguidelines/"
    assert "CC0" in mapping.licence
    assert len(mapping.rows) == 17
    assert sum(1 for r in mapping.rows if r.dsit_principles) == 10
    assert GUIDE  # the Guidelines are the source side of every row


def test_an_id_printed_verbatim_elsewhere_does_not_hide_the_asked_documents_control() -> None:
    """CSA numbers its stages "1".."5": a bare "5" asked of DSIT is still DSIT's principle 5."""
    from tests.control_fixtures import _c

    csa_stage = _c("csa-sg-guidelines", "5", "stage", "End of life", "Dispose of data and models securely.")
    catalogue = ControlCatalogue([*sample_controls(), csa_stage], doc_rank=DOC_RANK)
    assert [c.key for c in catalogue.find("5", [DSIT])] == [f"{DSIT}::Principle 5"]
    assert [c.key for c in catalogue.find("5", ["csa-sg-guidelines"])] == ["csa-sg-guidelines::5"]

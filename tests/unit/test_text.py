"""Line-end hyphens and web addresses split by line breaks (ingest.text)."""

from __future__ import annotations

from ingest.text import join_lines, repair_urls, vocabulary

VOCAB = vocabulary(
    [
        "explicit detection of adversarial inputs and distribution shift",
        "the management of benchmarks and a specification",
        "cost and effective context relevant",
        "an open source code of practice",
    ]
)


def test_a_compound_broken_at_its_own_hyphen_keeps_it() -> None:
    lines = ["explicit detection of out-of-", "distribution and/or adversarial inputs"]
    assert join_lines(lines, VOCAB) == "explicit detection of out-of-distribution and/or adversarial inputs"
    assert join_lines(["an end-to-", "end test"], VOCAB) == "an end-to-end test"
    # Two words of the document whose joined form is not one: the hyphen is the compound's.
    assert join_lines(["a cost-", "effective control"], VOCAB) == "a cost-effective control"
    assert join_lines(["is context-", "relevant"], VOCAB) == "is context-relevant"


def test_a_word_hyphenated_for_the_line_break_is_joined() -> None:
    assert join_lines(["risk manage-", "ment of AI"], VOCAB) == "risk management of AI"
    # Unknown to the document, first part a prefix: still a hyphenation, never "in-fringement".
    assert join_lines(["risks of in-", "fringement"], VOCAB) == "risks of infringement"
    assert join_lines(["adver-", "sarial inputs"], VOCAB) == "adversarial inputs"


def test_vocabulary_never_vouches_for_a_hyphenation() -> None:
    vocab = vocabulary(["benchmarks, and formal-", "ized reporting"])
    assert "formal" not in vocab and "ized" not in vocab
    assert {"benchmarks", "reporting"} <= vocab
    assert (
        join_lines(["and formal-", "ized reporting"], vocab | {"formal", "ized"})
        == "and formal-ized reporting"
    )
    assert join_lines(["and formal-", "ized reporting"], vocab) == "and formalized reporting"


def test_urls_split_by_a_gap_or_a_line_break_are_reassembled() -> None:
    assert (
        repair_urls("https://www.ncsc.gov.uk/collection/supply-c hain/guidance Essential information", VOCAB)
        == "https://www.ncsc.gov.uk/collection/supply-chain/guidance Essential information"
    )
    assert repair_urls("https://www.cisecurity.org/cis-b enchmarks Configuration", VOCAB) == (
        "https://www.cisecurity.org/cis-benchmarks Configuration"
    )
    assert repair_urls("online: https://arxiv.org/abs/2210 .14707, 2022.", VOCAB) == (
        "online: https://arxiv.org/abs/2210.14707, 2022."
    )
    assert (
        repair_urls("https://github.com/IMDA-B TG/aiverify An AI", VOCAB)
        == "https://github.com/IMDA-BTG/aiverify An AI"
    )
    # A hyphen at a line end inside an address is the address's own.
    lines = ["https://example.org/blog/failure-modes-in-machine-", "learning A blog from Microsoft."]
    assert (
        join_lines(lines, VOCAB)
        == "https://example.org/blog/failure-modes-in-machine-learning A blog from Microsoft."
    )


def test_text_after_an_address_stays_apart() -> None:
    assert (
        join_lines(["https://slsa.dev/", "A specification for"], VOCAB)
        == "https://slsa.dev/ A specification for"
    )
    assert repair_urls("see https://eur-lex.europa.eu/eli/reg/2024/1689/oj ISO/IEC 22989", VOCAB) == (
        "see https://eur-lex.europa.eu/eli/reg/2024/1689/oj ISO/IEC 22989"
    )
    assert repair_urls("at https://airc.nist.gov/Home. The profile", VOCAB) == (
        "at https://airc.nist.gov/Home. The profile"
    )
    assert (
        repair_urls("(https://www.first.org/tlp/). and more", VOCAB)
        == "(https://www.first.org/tlp/). and more"
    )
    assert (
        repair_urls("https://example.org/ and a specification", VOCAB)
        == "https://example.org/ and a specification"
    )
    assert repair_urls("no address here / and - here", VOCAB) == "no address here / and - here"


def test_an_address_split_inside_its_own_line_does_not_swallow_the_next_line() -> None:
    # The NCSC ML principles print "https://git-s cm.com/" (a gap inside the address) and then, on the
    # next line, its description: the address is whole and the description's first word stays apart.
    assert (
        join_lines(
            ["https://git-s cm.com/", "A free and open source distributed version control system"], VOCAB
        )
        == "https://git-scm.com/ A free and open source distributed version control system"
    )
    assert (
        join_lines(
            ["https://technology.blog.gov.uk/2014/01/27/how-we-u se-github/", "A blog explaining"], VOCAB
        )
        == "https://technology.blog.gov.uk/2014/01/27/how-we-use-github/ A blog explaining"
    )
    # An address broken at a line end still continues on the next line.
    assert (
        join_lines(
            ["see https://www.ncsc.gov.uk/collection/cross-dom ain-solutions/data-at-", "rest-protection"]
        )
        == "see https://www.ncsc.gov.uk/collection/cross-domain-solutions/data-at-rest-protection"
    )

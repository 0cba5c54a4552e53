from retrieval.tokenize import STOP_WORDS, content_terms, entity_terms, stem, tokenize, words


def test_stemmer_is_snowball_english() -> None:
    # Porter2 (Snowball English) outputs, as published with the Snowball algorithm.
    pairs = {
        "caresses": "caress",
        "ponies": "poni",
        "cats": "cat",
        "agreed": "agre",
        "plastered": "plaster",
        "motoring": "motor",
        "hopping": "hop",
        "happy": "happi",
        "relational": "relat",
        "generalizations": "general",
        "quickly": "quick",
        "adjustment": "adjust",
    }
    assert {w: stem(w) for w in pairs} == pairs
    assert stem("a1") == "a1" and stem("42") == "42"


def test_tokenize_lowercases_strips_punctuation_and_stop_words() -> None:
    assert tokenize("Securing the AI supply-chains, (quickly)!") == [
        "secur",
        "ai",
        "suppli",
        "chain",
        "quick",
    ]
    assert "the" in STOP_WORDS
    assert tokenize("the and of to") == []


def test_inflections_share_a_stem() -> None:
    assert tokenize("monitoring")[0] == tokenize("monitored")[0] == tokenize("monitors")[0]
    assert tokenize("deployment") == tokenize("deployments")


def test_numbers_and_short_words_are_kept() -> None:
    assert tokenize("SP 800-218A v1.1") == ["sp", "800", "218a", "v1", "1"]


def test_content_terms_drop_question_filler_and_dedupe() -> None:
    assert content_terms("What do the guidelines recommend about threat modelling and threats?") == [
        "threat",
        "model",
    ]


def test_words_keeps_apostrophes_for_stop_words() -> None:
    assert words("Don't trust it") == ["don't", "trust", "it"]
    assert tokenize("Don't trust it") == ["trust"]


def test_a_chats_interjections_are_neither_topics_nor_names() -> None:
    question = "OK, and what about the supply chain? Thanks!"
    assert entity_terms(question) == []
    assert content_terms(question) == ["suppli", "chain"]
    assert entity_terms("OK, what does GDPR say?") == ["gdpr"]  # a real acronym still counts


def test_an_acronyms_plural_is_the_acronym() -> None:
    assert tokenize("LLMs and APIs") == tokenize("LLM and API") == ["llm", "api"]
    assert entity_terms("What are the OWASP top 10 risks for LLMs?") == ["owasp", "llm"]
    assert tokenize("GUIDELINES FOR SECURING AI SYSTEMS") == tokenize("guidelines for securing AI systems")


def test_an_identifier_is_one_name_not_its_fragments() -> None:
    names = entity_terms("How is it used with SP 800-218 and MAP 4.2?")
    assert "sp.800.218" in names and "mp.4.2" in names
    assert "218" not in names and "4.2" not in names
    # the passages' tokens hold the identifier the same way, so its presence can be checked
    assert {"sp.800.218", "mp.4.2"} <= set(tokenize("SP 800-218 and MAP 4.2 are cited."))

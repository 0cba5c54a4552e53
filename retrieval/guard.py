"""Questions are data: a question is never screened for its vocabulary.

The corpus is about attacks, so its readers ask about jailbreaks, system prompts, backdoors, payloads and
attackers. Saige answers such questions; nothing here looks for attack words.

`screen_question` does two things, neither of which depends on what the question is about:

- It strips HTML and markup (tags, comments) from the text that is searched: markup is not a question.
  When the input asks something and also gives the assistant commands, the command sentences are left out
  of the search query (never out of consideration: nothing is declined for them).
- It recognises input that asks nothing of the corpus: no sentence is a question or a request for information
  (no question mark, no "what/how/why/can/should...", no "explain/describe/list/tell me..."), and some
  sentence is a command aimed at the assistant itself (an imperative such as "ignore...", "print...",
  "pretend...", or a sentence about "you/your"). Such input is declined with its own message ("this asks me
  to change how I work"), distinct from "the corpus does not cover this question".

A bare topic ("prompt injection mitigations") is neither a question nor a command: it is searched. Any
sentence that asks something, whatever else the input contains, means the input is searched and answered
from the documents (the extractive answerer only quotes them and cannot be instructed; the LLM answerer
gets the question inside a delimited data block, and its output is checked after generation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.tokenize import content_terms
from saige.sentences import split_sentences

_TAG = re.compile(r"<!--.*?-->|<\s*/?\s*[A-Za-z][^<>]{0,200}>", re.DOTALL)
# The content of a script or style element is code, not text (as any HTML-to-text reading treats it): it goes
# with its tags. An element left unclosed runs to the end of the input.
_CODE_ELEMENT = re.compile(
    r"<\s*(script|style)\b[^<>]{0,200}>.*?(?:<\s*/\s*\1\s*>|$)", re.DOTALL | re.IGNORECASE
)
_WORD = re.compile(r"[a-z][a-z'\u2019-]*")
_CLAUSE = re.compile(r"\b(?:and|then|but|so|also|please)\b|[,:;]")

# Words that open a question (interrogatives and inverted auxiliaries).
_ASKING = frozenset(
    [
        "what",
        "how",
        "why",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "whether",
        "is",
        "are",
        "was",
        "were",
        "am",
        "can",
        "could",
        "should",
        "would",
        "shall",
        "will",
        "may",
        "might",
        "must",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "isn't",
        "aren't",
        "can't",
        "couldn't",
        "shouldn't",
        "wouldn't",
        "doesn't",
        "don't",
        "didn't",
    ]
)
# Imperatives that ask for information (a request about the corpus, not about the assistant).
_REQUESTING = frozenset(
    [
        "explain",
        "describe",
        "summarise",
        "summarize",
        "list",
        "outline",
        "compare",
        "define",
        "tell",
        "show",
        "give",
        "name",
        "identify",
        "find",
        "search",
        "discuss",
        "clarify",
        "elaborate",
        "detail",
        "walk",
        "recommend",
        "suggest",
        "help",
        "provide",
    ]
)
# Imperatives that direct the assistant's own behaviour (how it answers, who it is), not a topic: a sentence
# opening with one of these, or speaking about "you/your", is aimed at the assistant. Attack vocabulary
# (bypass, override, jailbreak, leak, payload...) is deliberately absent: those are topics of the corpus.
_DIRECTING = frozenset(
    [
        "ignore",
        "disregard",
        "forget",
        "pretend",
        "act",
        "behave",
        "become",
        "roleplay",
        "role-play",
        "imagine",
        "obey",
        "respond",
        "reply",
        "answer",
        "say",
        "print",
        "output",
        "repeat",
        "translate",
        "write",
        "confirm",
        "stop",
        "switch",
        "speak",
        "talk",
        "stay",
        "from",
        "never",
        "always",
    ]
)
# "Say more (about that)", "talk more about it": a request for more of the answer, not a command.
_SAY_MORE = frozenset(["say", "talk", "speak"])
_SECOND_PERSON = frozenset(["you", "your", "yours", "yourself", "you're", "you’re", "u"])


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def _asks(sentence: str) -> bool:
    """The sentence is a question or a request for information (in any of its clauses)."""
    if "?" in sentence:
        return True
    for clause in _CLAUSE.split(sentence):
        words = _words(clause)
        if words and (words[0] in _ASKING or words[0] in _REQUESTING):
            return True
        if words[1:2] == ["more"] and words[0] in _SAY_MORE:  # "Say more about that.": more of the answer
            return True
    return False


def _directs(sentence: str) -> bool:
    """The sentence is a command or a statement aimed at the assistant itself."""
    if any(w in _SECOND_PERSON for w in _words(sentence)):
        return True
    return any(words[0] in _DIRECTING for words in map(_words, _CLAUSE.split(sentence)) if words)


@dataclass
class Screened:
    """What is searched (the text without markup) and whether the input asks anything of the corpus."""

    query: str
    markup_removed: bool = False
    instructions_only: bool = False

    @property
    def declined(self) -> bool:
        """The input asks nothing of the corpus: it only tells the assistant how to behave."""
        return self.instructions_only


def screen_question(question: str) -> Screened:
    text = _TAG.sub(" ", _CODE_ELEMENT.sub(" ", question))
    markup_removed = text != question
    query = " ".join(text.split())
    sentences = split_sentences(query, loose=True)
    sentences = [s for s in sentences if content_terms(s) or _words(s)]
    asks = any(_asks(s) for s in sentences)
    # A sentence that is neither a question nor a command (a bare topic, a statement about the user's
    # system) is something to search for; only commands aimed at the assistant ask nothing of the corpus.
    topic = any(not _directs(s) and not s.rstrip().endswith(":") for s in sentences if not _asks(s))
    directs = any(_directs(s) for s in sentences)
    instructions_only = bool(sentences) and directs and not asks and not topic
    if not query and markup_removed:
        instructions_only = True  # nothing but markup: nothing to search for
    elif directs and not instructions_only:
        # Commands to the assistant beside a real question are not searched for (they are not what is asked);
        # any sentence that asks, whatever its words, is kept.
        kept = [s for s in sentences if _asks(s) or not _directs(s)]
        query = " ".join(kept) or query
        query = re.sub(r"^(?:actually|anyway|ok(?:ay)?|so)\s*,?\s+", "", query, flags=re.IGNORECASE)
    return Screened(query=query, markup_removed=markup_removed, instructions_only=instructions_only)

"""Follow-up questions ("what about at deployment?", "who is responsible for that?") made standalone.

Without an LLM a deterministic rule does it: a question is a follow-up when there is an earlier user turn
and the question opens with a continuation cue ("what about", "how about", "and", "also", ...), or is short
and leans on the previous turn (an anaphor such as "that/it/this/they", or only a lifecycle stage). The
previous user question (itself resolved first, so chains of follow-ups work) supplies the topic: its content
words replace the anaphor ("who is responsible for <topic>?") or are put in front of what the follow-up
adds ("<topic> at deployment?"). With an LLM configured, the service asks the LLM to rewrite instead and
falls back to this rule if that fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from retrieval.followup_words import (
    AUDIENCE_RE,
    BARE_PHRASE_RE,
    CONTROL_QUESTION,
    GUIDELINE_WORDS,
    ID_WORDS,
    KIND_WORDS,
    LINK_WORDS,
    META_WORDS,
    MORE_WORDS,
    NUMBERED_RE,
    ORDINAL_RE,
    ORDINALS,
    PAGE_QUESTION,
    POINT_NOUNS,
    STAGE_QUESTION,
)
from retrieval.lifecycle import AFTER_DEPLOY_RE, STAGE_OF_WORD, STAGE_WORDS, named_stage
from retrieval.referents import (
    RELATIVE_RE,
    document_switch,
    document_words_dropped,
    names_audience,
    other_documents_dropped,
    own_topic,
    parts_of,
)
from retrieval.tokenize import QUERY_FILLER, STOP_WORDS, content_terms, tokenize, words, wordset
from retrieval.turns import (
    answer_points,
    answer_sections,
    answered_history,
)
from saige.types import FollowupKind, FollowupPlan, SectionRef, Turn

# Continuation cues at the start of a question, longest first.
_CUES = (
    "and what about",
    "but what about",
    "and how about",
    "what about",
    "how about",
    "what of",
    "what if",
    "same for",
    "same question for",
    "also",
    "and",
    "but",
    "then",
)
_CUE_RE = re.compile(r"^\s*(?:" + "|".join(re.escape(c) for c in _CUES) + r")\b[\s,]*", re.IGNORECASE)
_ANAPHORA = ("that", "it", "this", "they", "them", "those", "these", "there", "such", "its", "their")
# Pronouns always refer back; "that/this/there/such" only when they stand alone ("responsible for that?"),
# not as a conjunction or determiner ("ensure that models...", "this attack").
_ANAPHOR_RE = re.compile(
    r"\b(?:it|they|them|those|these|its|their)\b"
    r"|\b(?:that|this|there|such)\b(?=\s*(?:$|[?.,!;:]|(?:in|at|for|on|during|with|to|too|also|as well|"
    r"again|apply|applies|mean|means)\b))",
    re.IGNORECASE,
)
_QUESTION_WORDS = wordset("what which who whom whose when where why how")
MAX_FOLLOWUP_TERMS = 5

Rewriter = Callable[[str, Sequence[Turn]], str]


def _content_words(text: str) -> list[str]:
    """The words of a question that carry its topic, in order, as typed (no stemming)."""
    return [
        w
        for w in words(text)
        if w not in STOP_WORDS and w not in QUERY_FILLER and w not in _QUESTION_WORDS and w not in _ANAPHORA
    ]


def previous_user_index(history: Sequence[Turn]) -> int | None:
    for i in range(len(history) - 1, -1, -1):
        if history[i].role == "user" and history[i].content.strip():
            return i
    return None


def is_followup(question: str, history: Sequence[Turn]) -> bool:
    """Whether `question` leans on an earlier user turn (see the module docstring for the rule)."""
    if previous_user_index(history) is None:
        return False
    if _CUE_RE.match(question):
        return True
    terms = content_terms(question)
    if len(terms) > MAX_FOLLOWUP_TERMS:
        return False
    if _ANAPHOR_RE.search(question):
        return True
    topic = [w for w in _content_words(question) if w not in STAGE_WORDS]
    return not topic


def _unnumbered(heading: str) -> str:
    """A heading without its leading section number ("2.1. Secure the supply chain" -> "Secure the ...")."""
    return re.sub(r"^\s*(?:\d+[.)]?)+\s*", "", heading)


def _distinct(text: str) -> str:
    """The words of `text` in order, each once ("protect model protect model" -> "protect model")."""
    seen: set[str] = set()
    out: list[str] = []
    for w in text.split():
        if w.lower() not in seen:
            seen.add(w.lower())
            out.append(w)
    return " ".join(out)


def topic_of(question: str, *, drop_stage: bool = False) -> str:
    """The topic phrase of a question: its content words in order ("securing supply chain")."""
    out = _content_words(question)
    if drop_stage:
        out = [w for w in out if w not in STAGE_WORDS]
    return " ".join(out)


def resolve_rule(question: str, history: Sequence[Turn]) -> str:
    """The deterministic rewrite: `question` itself when it is not a follow-up."""
    idx = previous_user_index(history)
    if idx is None or not is_followup(question, history):
        return question
    previous = resolve_rule(history[idx].content, history[:idx])
    rest = _CUE_RE.sub("", question, count=1).strip()
    has_stage = any(w in STAGE_WORDS for w in _content_words(rest))
    topic = topic_of(previous, drop_stage=has_stage)
    if not topic:
        return question
    match = _ANAPHOR_RE.search(rest)
    resolved = rest[: match.start()] + topic + rest[match.end() :] if match else f"{topic} {rest}"
    return " ".join(resolved.split())


def llm_rewrite(question: str, history: Sequence[Turn], rewriter: Rewriter | None) -> str | None:
    """The rewriter's (an LLM's) standalone query, or None when there is none or it failed."""
    if rewriter is None:
        return None
    try:
        rewritten = " ".join(rewriter(question, history).split())
    except Exception:  # the LLM is an optional helper here: fall back to the rule
        return None
    return rewritten if rewritten and len(rewritten) <= 4 * max(len(question), 200) else None


def resolve(question: str, history: Sequence[Turn], rewriter: Rewriter | None = None) -> str:
    """A standalone query for `question`: the rewriter's (an LLM) if given and it works, else the rule."""
    if previous_user_index(history) is None:
        return question
    return llm_rewrite(question, history, rewriter) or resolve_rule(question, history)


# --- conversation state as data: plans over the structured answer ------------------------------------------
#
# `plan_followup` reads the last answered turn of the conversation (its points, citations and sections, or,
# for plain `{role, content}` history, the guideline names and [n] markers in its text) and decides what the
# new question asks of it:
#   - "expand"/"pick": more depth on one section of the last answer (the first point, the second one, it);
#   - "stage": which lifecycle stage that section belongs to;
#   - "locate": where that section is: its document, heading path and page ("What page is that on?");
#   - "analogous": the same topic in another stage ("during development", "once it is live") or for another
#     audience ("for users": the sections whose heading names it, retrieval/referents.py);
#   - "control": the identifier of that section and the controls of other frameworks linked to it ("is there a
#     control id for that?", "does NIST have a matching control?");
#   - "rewrite" with `like`: the section just given, in the documents the question names ("and in the
#     code of practice?", "what does NIST say about it?": all four NIST documents, `docs`);
#   - "rewrite": any other follow-up, made standalone by the rule above (or the LLM);
#   - "new": not a follow-up.
# Turns that abstained or failed are left out of the state (retrieval/turns.py), so they never poison the next
# question.


def _ordinal(question: str) -> tuple[int, bool] | None:
    """(index, means a point) of an ordinal reference: "the second one" (1, False), "point 2" (1, True)."""
    m = NUMBERED_RE.search(question)
    if m:
        return int(m.group(1) or m.group(2)) - 1, True
    m = ORDINAL_RE.search(question)
    if m:
        noun = (m.group(2) or "").lower()
        return ORDINALS[m.group(1).lower()], noun in POINT_NOUNS
    return None


def _pick(items: Sequence[SectionRef], index: int) -> SectionRef | None:
    if not items:
        return None
    if index < 0:
        return items[index] if -index <= len(items) else None
    return items[index] if index < len(items) else None


def _new_topic(question: str) -> list[str]:
    """Words of the question that bring a topic of their own (not stage, meta or audience words; "after" and
    "post" in "after/post deployment" name a stage too)."""
    return [
        w
        for w in _content_words(AFTER_DEPLOY_RE.sub(" deployment ", question))
        if not w.isdigit()
        and w not in STAGE_WORDS
        and w not in META_WORDS
        and w not in STAGE_OF_WORD
        and w not in STAGE_QUESTION
        and w not in PAGE_QUESTION
    ]


def _audience(question: str) -> str | None:
    """The audience of "what about for users?" / "and for non-technical staff?": the words after `for`
    (up to a relative clause: "organisations that only use AI tools" names organisations), when they are all
    the question adds."""
    rest = _CUE_RE.sub("", question, count=1)
    if rest == question and len(content_terms(question)) > 3:
        return None
    m = AUDIENCE_RE.search(rest)
    if m is None:
        # Without "for": "What about users?", "And the data scientists?", when the cue is followed by
        # nothing but a phrase that names people (its head noun is a role noun: not "data poisoning").
        bare = BARE_PHRASE_RE.match(rest) if rest != question else None
        if bare is None or named_stage(bare.group(1)) or not names_audience(bare.group(1)):
            return None
        return RELATIVE_RE.sub("", bare.group(1)).strip()
    phrase = RELATIVE_RE.sub("", m.group(1)).strip()
    if not phrase or named_stage(phrase):
        return None
    outside = _new_topic(rest[: m.start()])
    return phrase if not outside else None


def plan_followup(
    question: str,
    history: Sequence[Turn],
    catalogue: Sequence[SectionRef] = (),
    rewriter: Rewriter | None = None,
    doc_terms: frozenset[str] = frozenset(),
    names: Callable[[str], frozenset[str]] | None = None,
    name_terms: frozenset[str] = frozenset(),
) -> FollowupPlan:
    """What `question` asks of the conversation (see the comment above); deterministic without `rewriter`.
    `doc_terms` are the (stemmed) words that only name a document ("singapor", "nist"); `names` gives the
    documents a text names and `name_terms` the (stemmed) words of document names ("code", "practic")."""
    good = answered_history(history)
    idx = previous_user_index(good)
    if idx is None:
        return FollowupPlan(kind="new", query=question, topic=topic_of(question, drop_stage=True))
    prior = good[: idx + 1]
    reply = good[idx + 1] if idx + 1 < len(good) else None
    points = answer_points(reply, catalogue) if reply is not None else []
    sections = answer_sections(reply, catalogue) if reply is not None else []
    previous_plan = plan_followup(
        good[idx].content, good[:idx], catalogue, None, doc_terms, names, name_terms
    )
    topic = previous_plan.topic or topic_of(previous_plan.query, drop_stage=True)

    new_words = _new_topic(question)
    named_here = sorted(names(question)) if names is not None else []  # the documents the question names
    ordinal = _ordinal(question)
    said = set(words(question))
    leans = bool(_CUE_RE.match(question) or _ANAPHOR_RE.search(question) or ordinal is not None)
    # "Which stage is that in?", and "When does that apply?" (when, about the guideline just given). "Which
    # guideline covers that?" is answered the same way: the guideline and its stage, or for a document without
    # the stages, its counterpart among the Guidelines' guidelines.
    which_guideline = "which" in said and bool(said & GUIDELINE_WORDS) and leans
    asks_stage = (
        bool(said & STAGE_QUESTION or ("when" in said and leans) or which_guideline)
        and named_stage(question) is None
    )
    # "Go on.", "Why?": nothing but words about the conversation leans on the last answer.
    only_meta = all(w in META_WORDS or w in STOP_WORDS or w in _QUESTION_WORDS for w in said)
    leans = leans or bool(said & MORE_WORDS) or (bool(said) and only_meta)
    short = len(content_terms(question)) <= MAX_FOLLOWUP_TERMS

    target: SectionRef | None = None
    if ordinal is not None:
        index, is_point = ordinal
        listed = parts_of(sections[0], catalogue) if sections and not is_point else []
        target = (
            _pick(points, index)
            if is_point
            else (_pick(listed, index) or _pick(sections, index) or _pick(points, index))
        )
    elif sections:
        target = sections[0]

    def focus(ref: SectionRef) -> str:
        return " ".join(f"{ref.section} {topic}".split())

    # "Which control is that?", "What's its identifier?", "Does NIST have a matching control?": the
    # section's own identifier and the controls linked to it (in the documents named, if any).
    asks_control = bool(said & CONTROL_QUESTION) and not asks_stage
    kinds = KIND_WORDS if said & ID_WORDS else frozenset()
    linked_only = [w for w in new_words if w not in CONTROL_QUESTION | LINK_WORDS | kinds]
    if short and asks_control and target is not None and not own_topic(linked_only, name_terms | doc_terms):
        return FollowupPlan(
            kind="control",
            query=focus(target),
            target=target,
            previous=sections,
            topic=topic,
            docs=named_here,
        )
    if short and not new_words and asks_stage and target is not None:
        return FollowupPlan(kind="stage", query=focus(target), target=target, previous=sections, topic=topic)
    asks_place = bool(said & PAGE_QUESTION) or ("where" in said and leans)
    # not "Where is that in the CSA guidelines?": that names another document
    if short and not new_words and asks_place and target is not None and not named_here:
        return FollowupPlan(kind="locate", query=focus(target), target=target, previous=sections, topic=topic)
    stage = named_stage(question)
    if short and stage is not None and leans and _audience(question) is None:
        extra = " ".join(new_words)
        # The analogous guideline: the topic, and what the section already given is about, in that stage;
        # when the question adds nothing of its own, the guideline of that stage nearest the one given.
        like = sections[0] if sections and not new_words else None
        # A heading's numbering ("2.1.") is not what it is about.
        about = topic_of(_unnumbered(like.section), drop_stage=True) if like is not None else ""
        query = _distinct(f"{extra} {topic} {about}") or question
        query = llm_rewrite(question, prior + ([reply] if reply else []), rewriter) or query
        exclude = sections if not new_words else []
        return FollowupPlan(
            kind="analogous",
            query=query,
            stage=stage,
            exclude=exclude,
            previous=sections,
            topic=_distinct(f"{extra} {topic}"),
            like=like,
        )
    audience = _audience(question) if short else None
    if audience is not None and names is not None and names(audience):
        audience = None  # "And for the Singapore guidelines?" names a document, not people
    if audience is not None and topic:
        query = llm_rewrite(question, prior + ([reply] if reply else []), rewriter) or f"{topic} {audience}"
        return FollowupPlan(
            kind="analogous",
            query=query,
            audience=audience,
            exclude=[],
            topic=topic,
            previous=sections,
        )
    switch = document_switch(question, new_words, sections, names, name_terms)
    if short and switch is not None and ordinal is None and not asks_stage and topic:
        # The same guidance in another document ("and in the code of practice?", "what does NIST say?"):
        # the topic and what the section given is about, in the words of the question (which name the
        # document); the planner puts that section's nearest counterpart in the named document first.
        # The search is kept to the documents named (all of a family: "NIST" names four), so the query is
        # the topic alone, without document names.
        about = topic_of(_unnumbered(switch.section), drop_stage=True)
        naming = frozenset(tokenize(question)) & (name_terms | doc_terms)
        query = _distinct(f"{topic} {about}")
        query = document_words_dropped(query, doc_terms | naming) or query
        query = llm_rewrite(question, prior + ([reply] if reply else []), rewriter) or query
        return FollowupPlan(
            kind="rewrite", query=query, previous=sections, topic=topic, like=switch, docs=named_here
        )
    if short and not new_words and (leans or ordinal is not None) and not asks_stage:
        if target is not None:
            kind: FollowupKind = "pick" if ordinal is not None else "expand"
            return FollowupPlan(kind=kind, query=focus(target), target=target, previous=sections, topic=topic)
        if topic:
            return FollowupPlan(kind="expand", query=topic, previous=sections, topic=topic)
    resolved = resolve(question, prior + ([reply] if reply is not None else []), rewriter)
    resolved = other_documents_dropped(resolved, question, doc_terms)
    kind = "rewrite" if resolved != question else "new"
    # A follow-up that names documents and brings no topic of its own ("Does NIST cover it too?") is
    # answered from those documents. Their names stay in the query: a name may be a topic word there too
    # ("taxonomy").
    named = named_here if kind == "rewrite" and short else []
    if own_topic(new_words, name_terms | doc_terms):
        named = []
    return FollowupPlan(
        kind=kind, query=resolved, previous=sections, topic=topic_of(resolved, drop_stage=True), docs=named
    )

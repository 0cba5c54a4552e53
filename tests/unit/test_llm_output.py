"""LLM-path details found by running a real model (tests/llm): the answer length bound reaches the server,
and the shapes of output a small model writes are checked like any other."""

from __future__ import annotations

from pathlib import Path

from retrieval.llm import LLMAnswerer
from saige.settings import Settings
from tests.fakes import tiny_documents
from tests.fakes.openai_server import fake_openai_server
from tests.unit.test_llm import QUESTION, make_engine


def test_max_tokens_bounds_the_request(data_dir: Path) -> None:
    with fake_openai_server("Assess suppliers [1].") as server:
        hits = make_engine(data_dir, server).search(QUESTION, k=2)
        docs = {d.id: d for d in tiny_documents()}
        bounded = Settings(
            data_dir=data_dir, llm_provider="openai", llm_base_url=server.base_url, llm_max_tokens=64
        )
        "".join(LLMAnswerer(bounded).stream(QUESTION, hits, docs))
        # llama-cpp-python's server (and other OpenAI-compatible ones) read max_tokens; api.openai.com reads
        # max_completion_tokens: a server named by its address gets both
        assert server.requests[-1]["max_tokens"] == 64
        assert server.requests[-1]["max_completion_tokens"] == 64
        unbounded = bounded.model_copy(update={"llm_max_tokens": None})
        "".join(LLMAnswerer(unbounded).stream(QUESTION, hits, docs))
        assert "max_tokens" not in server.requests[-1]  # unset: the server's own limit
        assert "max_completion_tokens" not in server.requests[-1]


def test_the_openai_api_gets_only_its_own_bound(data_dir: Path) -> None:
    from retrieval.llm import make_chat_model

    settings = Settings(data_dir=data_dir, llm_provider="openai", llm_api_key="sk-test", llm_max_tokens=64)
    chat = make_chat_model(settings)
    assert chat._default_params.get("max_completion_tokens") == 64
    assert not chat.extra_body  # no base URL: api.openai.com, which has dropped max_tokens for newer models

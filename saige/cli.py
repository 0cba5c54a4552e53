"""The `saige` console command. Each command is thin: it parses flags and calls the module that owns the work.

Heavy imports (torch, chromadb, streamlit) happen inside the commands, never at import time.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from saige.errors import SaigeError
from saige.settings import Settings, get_settings

if TYPE_CHECKING:
    from retrieval.service import Saige

app = typer.Typer(
    name="saige",
    help="Saige, the Secure AI Guidelines Explorer: cited answers over agency guidance on secure AI.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)

CorpusDir = Annotated[
    Path | None, typer.Option("--corpus-dir", help="Folder holding the documents (SAIGE_CORPUS_DIR).")
]
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Index and cache folder (SAIGE_DATA_DIR).")]
DocOpt = Annotated[
    list[str] | None, typer.Option("--doc", help="Only this document id (repeatable).", show_default=False)
]
StageOpt = Annotated[
    str | None,
    typer.Option("--stage", help="Only this lifecycle stage: design, development, deployment, operation."),
]


def _settings(**overrides: object) -> Settings:
    try:
        return get_settings(**overrides)
    except Exception as exc:  # pydantic ValidationError: name the field and the reason on one line
        raise _fail(f"settings: {_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = []
        for e in errors():
            loc = ".".join(str(x) for x in e.get("loc", ()))
            parts.append(f"SAIGE_{loc.upper()}: {e.get('msg')}" if loc else str(e.get("msg")))
        return "; ".join(parts)
    return " ".join(str(exc).split())


def _fail(message: str, code: int = 2) -> typer.Exit:
    # The message can carry untrusted text (file names, document ids): never read it as rich markup.
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _run(fn: Callable[..., int | None], *args: object, **kwargs: object) -> None:
    """Call a command body; a SaigeError becomes a one-line message and a non-zero exit."""
    try:
        code = fn(*args, **kwargs)
    except SaigeError as exc:
        raise _fail(str(exc), exc.exit_code) from None
    except KeyboardInterrupt:
        raise _fail("interrupted", 130) from None
    if code:
        raise typer.Exit(int(code))


@app.command()
def fetch(
    corpus_dir: CorpusDir = None,
    data_dir: DataDir = None,
    accept_new_hash: Annotated[
        bool,
        typer.Option(
            "--accept-new-hash",
            help="Deliberately accept a document whose bytes differ from the pinned sha256 (keeps the old copy).",
        ),
    ] = False,
    doc: DocOpt = None,
    keep_going: Annotated[
        bool,
        typer.Option(
            "--keep-going",
            help="Exit 0 when at least one document is in place; the others are reported (make run uses it).",
        ),
    ] = False,
) -> None:
    """Download missing documents from their official URLs and verify their sha256."""
    from saige.cli_corpus import run_fetch

    s = _settings(corpus_dir=corpus_dir, data_dir=data_dir)
    _run(run_fetch, s, accept_new_hash=accept_new_hash, only=doc or [], keep_going=keep_going)


@app.command()
def sources(corpus_dir: CorpusDir = None, data_dir: DataDir = None) -> None:
    """List the corpus documents: present or missing, hash ok or not, pages and licence."""
    from saige.cli_corpus import run_sources

    _run(run_sources, _settings(corpus_dir=corpus_dir, data_dir=data_dir))


@app.command()
def ingest(
    corpus_dir: CorpusDir = None,
    data_dir: DataDir = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Discard the index (even a corrupted one) and build it afresh.")
    ] = False,
    skip_missing: Annotated[
        bool,
        typer.Option(
            "--skip-missing",
            help="Leave out documents whose file is missing (reported; `saige sources` says how to add them).",
        ),
    ] = False,
) -> None:
    """Parse, chunk and embed the corpus into a new index, then switch to it atomically."""
    from saige.cli_corpus import run_ingest

    s = _settings(corpus_dir=corpus_dir, data_dir=data_dir)
    _run(run_ingest, s, rebuild=rebuild, skip_missing=skip_missing)


def _queries(arg: str) -> tuple[list[str], bool]:
    """`-` reads one query per line from stdin (JSON Lines out); anything else is one query."""
    if arg == "-":
        return [line.strip() for line in sys.stdin if line.strip()], True
    return [arg], False


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="The query, or - to read one query per line from stdin.")],
    k: Annotated[int | None, typer.Option("--k", help="Number of hits.")] = None,
    doc: DocOpt = None,
    stage: StageOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Hybrid search (BM25 + dense, fused): ranked hits with document, guideline and pages."""
    from saige.render import print_hits

    s = _settings(data_dir=data_dir)
    queries, batch = _queries(query)

    def body() -> int:
        from retrieval.service import Saige

        engine = Saige.from_settings(s)
        for q in queries:
            hits = engine.search(q, k=k, docs=doc or None, stage=stage)
            records = [h.as_record() for h in hits]
            if batch:
                sys.stdout.write(json.dumps({"query": q, "hits": records}, ensure_ascii=False) + "\n")
            elif as_json:
                sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
            else:
                print_hits(q, hits)
        return 0

    _run(body)


@app.command()
def ask(
    question: Annotated[
        str, typer.Argument(help="The question, or - to read one question per line from stdin.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of Markdown.")] = False,
    llm: Annotated[
        str | None,
        typer.Option(
            "--llm",
            help="Answer with an LLM: ollama or openai (overrides SAIGE_LLM_PROVIDER); none = extractive.",
        ),
    ] = None,
    k: Annotated[int | None, typer.Option("--k", help="Number of hits to answer from.")] = None,
    doc: DocOpt = None,
    stage: StageOpt = None,
    data_dir: DataDir = None,
    history_file: Annotated[
        Path | None,
        typer.Option(
            "--history",
            help="The conversation so far: JSON list of {role, content[, citations]} turns (or a previous "
            "--history output). Prints JSON: the answer and the conversation with this turn added.",
        ),
    ] = None,
    stream: Annotated[
        bool | None,
        typer.Option(
            "--stream/--no-stream",
            help="Print an LLM's answer as it is generated, then the checked answer and its sources "
            "(default: when stdout is a terminal). Not with --json, - or --history, which print JSON.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Answer a question from the corpus, with citations, or say plainly that the corpus does not cover it."""
    from saige.render import print_answer

    s = _settings(data_dir=data_dir, llm_provider=llm)
    json_out = as_json or question == "-" or history_file is not None
    if stream and json_out:
        raise _fail(
            "stream: --stream prints text as it is generated; --json, - and --history print JSON instead "
            "(use one or the other)"
        )
    live = not json_out and (stream if stream is not None else _is_terminal(sys.stdout))
    questions, batch = _queries(question)

    def body() -> int:
        from retrieval.service import Saige
        from saige.history import conversation_record, load_history

        turns = load_history(history_file) if history_file is not None else None
        engine = Saige.from_settings(s)
        # The extractive answer is composed at once: there is nothing to stream, it is printed as Markdown.
        streaming = live and (llm or engine.settings.llm_provider or "none").lower() != "none"
        for q in questions:
            if turns is not None:
                answer = engine.ask(q, k=k, docs=doc or None, stage=stage, history=turns)
                record = conversation_record(turns, q, answer)
                sys.stdout.write(json.dumps(record, ensure_ascii=False, indent=None if batch else 2) + "\n")
                continue
            if streaming:
                _stream_answer(engine, q, k=k, docs=doc or None, stage=stage)
                continue
            answer = engine.ask(q, k=k, docs=doc or None, stage=stage)
            if batch:
                sys.stdout.write(json.dumps(answer.as_record(), ensure_ascii=False) + "\n")
            elif as_json:
                sys.stdout.write(json.dumps(answer.as_record(), ensure_ascii=False, indent=2) + "\n")
            else:
                print_answer(answer)
        return 0

    _run(body)


def _is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(callable(isatty) and isatty())


def _stream_answer(engine: Saige, question: str, **options: Any) -> None:
    """The deltas as they arrive, then the checked answer (saige/render.py AnswerStream)."""
    from saige.render import AnswerStream
    from saige.types import Answer

    shown = AnswerStream()
    final: Answer | None = None
    try:
        for item in engine.ask_stream(question, **options):
            if isinstance(item, Answer):
                final = item
            else:
                shown.delta(item)
    except BaseException:
        shown.abort()  # the unchecked text on screen is marked as such before the error
        raise
    if final is None:  # pragma: no cover - ask_stream always ends with the Answer
        raise SaigeError("ask: the answer did not arrive")
    shown.finish(final)


@app.command(name="eval")
def eval_(
    questions: Annotated[
        Path | None,
        typer.Option(
            "--questions",
            help="A questions JSONL file (default: every evals/questions*.jsonl scored by section).",
        ),
    ] = None,
    split: Annotated[
        str,
        typer.Option("--split", help="Questions of this split only: dev (tuned on), test (held out) or all."),
    ] = "all",
    config: Annotated[
        list[str] | None,
        typer.Option(
            "--config", help="Configuration to run (repeatable): bm25, dense, hybrid, saige, baseline."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines per question, then a summary.")] = False,
    report: Annotated[bool, typer.Option("--report", help="Write evals/report.md and its chart.")] = False,
    data_dir: DataDir = None,
    corpus_dir: CorpusDir = None,
) -> None:
    """Score retrieval, citations, abstention, refusals and latency per split (dev, test) of the question sets."""
    from evals.harness import run_eval_cli

    if split not in ("dev", "test", "all"):
        raise _fail(f"split: unknown split {split!r}; expected dev, test or all")
    s = _settings(data_dir=data_dir, corpus_dir=corpus_dir)
    _run(
        run_eval_cli,
        s,
        questions=questions,
        configs=config or [],
        as_json=as_json,
        report=report,
        split=split,
    )


@app.command()
def serve(
    port: Annotated[int | None, typer.Option("--port", help="Port (default SAIGE_PORT, 8501).")] = None,
    host: Annotated[
        str | None,
        typer.Option("--host", help="Bind address (default 127.0.0.1; anything else exposes Saige)."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Start the Streamlit app on 127.0.0.1, usage statistics off."""
    from saige.serve import run_serve

    _run(run_serve, _settings(port=port, host=host, data_dir=data_dir))


def _add_control_commands() -> None:
    """saige control / controls / related (saige/cli_controls.py)."""
    from saige.cli_controls import register

    register(app, _settings, _run)


_add_control_commands()


if __name__ == "__main__":  # pragma: no cover
    app()

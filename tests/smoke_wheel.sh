#!/usr/bin/env bash
# Wheel smoke test: build Saige's wheel, install it NON-editable into a fresh venv (torch==2.13.0 first, the CPU
# wheel), then, from outside the checkout, `saige ingest` a one-document corpus, `saige ask` a question that
# must come back answered with a citation, and `saige serve` on 127.0.0.1 until its health endpoint answers 200.
# Prints the time of each step. Run by `make smoke-wheel` and CI (.ci/run).
#
#   SMOKE_CORPUS   folder holding ncsc-cisa-secure-ai-guidelines-2023.pdf (default: SAIGE_CORPUS_DIR, else
#                  ../shared/corpus)
#   PYTHON         the interpreter for the venv (default python3.11)
#   SMOKE_KEEP=1   keep the work folder (venv, wheel, data) for a look afterwards
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3.11}"
DOC="ncsc-cisa-secure-ai-guidelines-2023.pdf"
SOURCE="${SMOKE_CORPUS:-${SAIGE_CORPUS_DIR:-$REPO/../shared/corpus}}"
if [[ ! -f "$SOURCE/$DOC" ]]; then
  echo "smoke-wheel: error: $SOURCE/$DOC not found (set SMOKE_CORPUS or SAIGE_CORPUS_DIR)" >&2
  exit 2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/saige-smoke.XXXXXX")"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ "${SMOKE_KEEP:-0}" != "1" ]]; then rm -rf "$WORK"; else echo "smoke-wheel: kept $WORK"; fi
}
trap cleanup EXIT

T0=$SECONDS
STEP_START=$SECONDS
step() {  # step NAME: report the previous step's time, announce the next
  local now=$SECONDS
  if [[ -n "${STEP_NAME:-}" ]]; then printf 'smoke-wheel: %-34s %4ds\n' "$STEP_NAME" $((now - STEP_START)); fi
  STEP_NAME="$1"
  STEP_START=$now
}

pip_quiet() {  # pip, without the notes about local index folders that do not hold a package
  "$BIN/pip" "$@" 2> >(grep -v "^WARNING: Location '.*' is ignored: it is neither a file nor a directory" >&2)
}

step "venv + torch==2.13.0"
"$PYTHON" -m venv "$WORK/venv"
BIN="$WORK/venv/bin"
pip_quiet install --quiet torch==2.13.0

step "build the wheel"
# from a copy of the checkout's files (tracked and new, not ignored): the build leaves no build/ folder behind
mkdir -p "$WORK/src"
if git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$REPO" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    if [[ -f "$f" ]]; then cp --parents -- "$f" "$WORK/src/"; fi
  done)
else
  tar -C "$REPO" --exclude=./.venv --exclude=./.cache --exclude=./.git --exclude=./build -cf - . | tar -C "$WORK/src" -xf -
fi
pip_quiet wheel --quiet --no-deps --wheel-dir "$WORK/dist" "$WORK/src"
WHEEL="$(ls "$WORK"/dist/saige-*.whl)"

step "install the wheel (non-editable)"
pip_quiet install --quiet "$WHEEL"

# From here on nothing may come from the checkout: run in the work folder, with no PYTHONPATH.
cd "$WORK"
unset PYTHONPATH
export SAIGE_DATA_DIR="$WORK/data" SAIGE_CORPUS_DIR="$WORK/corpus"
mkdir -p "$SAIGE_CORPUS_DIR"
cp "$SOURCE/$DOC" "$SAIGE_CORPUS_DIR/"
"$BIN/python" - <<'PY'
import pathlib, saige, retrieval
for mod in (saige, retrieval):
    path = pathlib.Path(mod.__file__).resolve()
    assert "site-packages" in path.parts, f"{mod.__name__} imported from {path}, not the installed wheel"
PY

step "saige ingest (one document)"
"$BIN/saige" ingest --skip-missing

step "saige ask"
"$BIN/saige" ask "How should model weights be protected?" --json >"$WORK/answer.json"
"$BIN/python" - "$WORK/answer.json" <<'PY'
import json, sys
answer = json.load(open(sys.argv[1], encoding="utf-8"))
assert not answer["abstained"], f"the question was not answered: {answer['answer'][:200]}"
cited = answer["citations"]
assert cited, "the answer carries no citation"
assert cited[0]["doc_id"] == "ncsc-cisa-secure-ai-guidelines-2023", cited[0]
assert cited[0]["page_start"], cited[0]
print(f"smoke-wheel: answered, first citation: {cited[0]['doc_title']}, {cited[0]['section']}, p. {cited[0]['page_start']}")
PY

step "saige serve -> HTTP 200 on /_stcore/health"
PORT="$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$BIN/saige" serve --port "$PORT" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
"$BIN/python" - "$PORT" <<'PY' || { cat "$WORK/serve.log" >&2; exit 1; }
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/_stcore/health"
deadline = time.monotonic() + 120
while True:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            if response.status == 200:
                print(f"smoke-wheel: {url} -> 200 {response.read().decode().strip()}")
                break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit(f"smoke-wheel: {url} did not answer 200 within 120 s")
    time.sleep(0.5)
PY

step "done"
echo "smoke-wheel: passed in $((SECONDS - T0)) s"

"""`python -m assistant.bench {beir,latency,ingest,langchain,concurrency,llm,fit-scorer} …`; each prints a
Markdown table, `--json` for data."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.bench", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("beir", help="fusion variants on a BEIR folder (nDCG@10) and the paraphrase set (hit@5, MRR)")
    p.add_argument("--data", required=True, help="folder with corpus.jsonl, queries.jsonl, qrels/<split>.tsv")
    p.add_argument("--split", default="test")
    p.add_argument("--device", default=None, help="embedder device (cpu, cuda)")
    p.add_argument("--no-tune", action="store_true", help="only the current defaults and plain RRF, no grid")

    p = sub.add_parser("latency", help="warm ask/search p50/p95 (shipped + synthetic corpora), cold `ree ask`")
    p.add_argument("--sizes", default="10000,100000", help="synthetic corpus sizes (chunks), comma-separated")
    p.add_argument("--queries", type=int, default=50, help="warm queries per corpus")
    p.add_argument("--cold-runs", type=int, default=5)

    p = sub.add_parser("ingest", help="chunks/s end to end vs bare encode; RSS of a Chroma server at N chunks")
    p.add_argument("--device", default=None, help="embedder device (cpu, cuda)")
    p.add_argument("--limit", type=int, default=0, help="only the first N corpus files (0 = all)")
    p.add_argument("--server-chunks", type=int, default=100000)

    p = sub.add_parser("langchain", help="hit@5 and warm latency vs a plain LangChain Chroma pipeline")
    p.add_argument("--repeat", type=int, default=3, help="timed passes over the questions")

    p = sub.add_parser("concurrency", help="ask p50/p95 idle, during a 1 MB upload and during a rebuild")
    p.add_argument("--readers", type=int, default=2, help="threads asking at once")
    p.add_argument("--queries", type=int, default=60, help="asks timed while idle")
    p.add_argument("--device", default=None, help="embedder device for the writer (cpu, cuda)")
    p.add_argument("--no-rebuild", action="store_true", help="skip the rebuild phase")
    p.add_argument("--upload-kb", type=int, default=1000, help="size of the generated upload (KB)")

    p = sub.add_parser("llm", help="the LLM path against a real llama.cpp server: first token, time, tokens, "
                                   "sentences kept")
    p.add_argument("--gguf", default=None, help="start llama-cpp-python's server on this GGUF model file")
    p.add_argument("--python", default="python", help="interpreter with llama-cpp-python[server] (with --gguf)")
    p.add_argument("--port", type=int, default=8080, help="port for the started server")
    p.add_argument("--threads", type=int, default=2, help="CPU threads for the started server")
    p.add_argument("--ctx", type=int, default=4096, help="context size of the started server (tokens)")
    p.add_argument("--chat-format", default="gemma", help="llama-cpp-python chat format of the started server "
                                                       "(the Gemma GGUF carries no chat template)")
    p.add_argument("--url", default=None, help="a running server's base URL (…/v1); default REE_ANSWER__LLM_URL "
                                               "or http://127.0.0.1:8080/v1")
    p.add_argument("--server-log", default=None, help="where the running server's stderr goes (its token counts)")
    p.add_argument("--model", default="local", help="model name sent to the server")
    p.add_argument("--max-tokens", type=int, default=0, help="output cap (default: REE_ANSWER__LLM_MAX_TOKENS)")
    p.add_argument("--timeout", type=float, default=0, help="time limit in s (default: REE_ANSWER__LLM_TIMEOUT_S)")
    p.add_argument("--questions", default="", help="questions separated by |; default four built-in ones")
    p.add_argument("--repeat", type=int, default=1, help="passes over the questions")

    p = sub.add_parser("fit-scorer", help="fit the sentence scorer's weights on the development sets; "
                                          "precision@1 and recall@5 on held-out sets")
    p.add_argument("--l2", type=float, default=1.0, help="L2 penalty of the logistic regression")
    p.add_argument("--write", action="store_true", help="write the weights fitted on every set to answer/scoring.py")
    p.add_argument("--rows", default="", help="a JSON file of collected sentences: read when it exists, else written")

    for name, sp in sub.choices.items():
        sp.add_argument("--json", action="store_true", help="print JSON instead of tables")
        sp.set_defaults(cmd=name)
    args = parser.parse_args(argv)
    from assistant.errors import ReeError

    try:
        if args.cmd == "beir":
            from assistant.bench import beir as mod
        elif args.cmd == "latency":
            from assistant.bench import latency as mod  # type: ignore[no-redef]
        elif args.cmd == "ingest":
            from assistant.bench import ingest as mod  # type: ignore[no-redef]
        elif args.cmd == "concurrency":
            from assistant.bench import concurrency as mod  # type: ignore[no-redef]
        elif args.cmd == "fit-scorer":
            from assistant.bench import fit_scorer as mod  # type: ignore[no-redef]
        elif args.cmd == "llm":
            from assistant.bench import llm as mod  # type: ignore[no-redef]
        else:
            from assistant.bench import langchain_cmp as mod  # type: ignore[no-redef]
        mod.main(args)
    except ReeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

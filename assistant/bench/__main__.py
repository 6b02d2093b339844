"""`python -m assistant.bench {beir,latency,ingest,langchain,concurrency} …`; each prints a Markdown table,
`--json` for data."""

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
        else:
            from assistant.bench import langchain_cmp as mod  # type: ignore[no-redef]
        mod.main(args)
    except ReeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

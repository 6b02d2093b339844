"""Benchmarks: `python -m assistant.bench beir|latency|ingest|langchain …` (each prints a table; `--json` for data).

None of these run in the test suite: speed and quality targets are measured here and recorded in
docs/benchmarks.md, with the command that produced each figure.
"""

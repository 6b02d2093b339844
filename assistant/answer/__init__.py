"""Composing an answer: citations, lead and points, the gap checklist, the optional LLM."""

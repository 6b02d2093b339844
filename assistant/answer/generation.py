"""The optional LLM step around the extractive answer: the generator is built on first use, and when the caller
streams, the checked sentences it writes go to that caller's queue as they are ready."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from assistant.answer.citations import CitationBook
from assistant.types import Answer, Checklist, Passage


class Generation:
    def __init__(self, settings: Any) -> None:
        self.settings = settings  # AnswerSettings
        self._generator: Any = None
        self._lock = threading.Lock()
        self._sink = threading.local()  # stream(): where generate() puts the LLM's pieces, per thread

    def generate(self, question: str, passages: list[Passage], checklists: list[Checklist], book: CitationBook,
                 fallback: str) -> tuple[str, list[str]]:
        """The LLM's answer (or `fallback` where it fails a check) and its notices; streamed to this thread's
        sink when stream() runs it."""
        from assistant.answer.llm import Generator

        with self._lock:
            if self._generator is None:
                self._generator = Generator(self.settings)
        sink = getattr(self._sink, "queue", None)
        if sink is None:
            return self._generator.answer(question, passages, checklists, book, fallback)
        run = self._generator.stream(question, passages, checklists, book, fallback)
        while True:
            try:
                sink.put(next(run))
            except StopIteration as done:
                return done.value

    def stream(self, ask: Callable[[], Answer]) -> Iterator[str | Answer]:
        """Run `ask` in a worker whose generate() streams checked sentences here; the last item is the Answer."""
        pieces: queue.Queue[str | Answer | BaseException] = queue.Queue()

        def work() -> None:
            self._sink.queue = pieces
            try:
                pieces.put(ask())
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread below
                pieces.put(exc)

        threading.Thread(target=work, name="ree-stream", daemon=True).start()
        while True:
            item = pieces.get()
            if isinstance(item, BaseException):
                raise item
            yield item
            if isinstance(item, Answer):
                return


__all__ = ["Generation"]

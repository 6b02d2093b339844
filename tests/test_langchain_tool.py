"""The LangChain adapters, called as a program would without an agent: the tools and the retriever."""

from __future__ import annotations

import re
from typing import Any

from langchain_core.messages import ToolMessage


def test_search_tool_returns_numbered_passages_and_the_typed_result(corpus_assistant: Any) -> None:
    from assistant.integrations.langchain import ree_search_tool

    tool = ree_search_tool(corpus_assistant)
    assert tool.name == "ree_search" and "rare-earth" in tool.description
    assert set(tool.args) == {"query", "k", "country", "stage"}
    message = tool.invoke({"type": "tool_call", "id": "call-1", "name": "ree_search",
                           "args": {"query": "solvent extraction stages", "k": 3}})
    assert isinstance(message, ToolMessage) and message.status == "success"
    assert [int(n) for n in re.findall(r"^\[(\d+)\]", message.content, re.M)] == [1, 2, 3]
    assert [p["n"] for p in message.artifact["passages"]] == [1, 2, 3]
    text = tool.invoke({"query": "magnet recycling", "k": 2, "country": "Japan"})
    assert text.startswith("[1] ")


def test_ask_tool_gives_a_cited_answer_and_errors_as_one_line(corpus_assistant: Any) -> None:
    from assistant.integrations.langchain import ree_ask_tool

    tool = ree_ask_tool(corpus_assistant)
    message = tool.invoke({"type": "tool_call", "id": "call-2", "name": "ree_ask",
                           "args": {"question": "Can Kazakhstan make magnets?"}})
    assert message.artifact["checklist"]["verdict"] == "no"
    assert "[1]" in message.content and "Sources:" in message.content
    bad = tool.invoke({"type": "tool_call", "id": "call-3", "name": "ree_ask", "args": {"question": "  "}})
    assert bad.status == "error" and bad.content.startswith("The question is empty") and "\n" not in bad.content


def test_retriever_returns_langchain_documents(corpus_assistant: Any) -> None:
    from assistant.integrations.langchain import ree_retriever

    docs = ree_retriever(corpus_assistant, k=4).invoke("solvent extraction stages")
    assert len(docs) == 4 and all(d.page_content and d.metadata["doc_id"] for d in docs)

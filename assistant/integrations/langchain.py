"""REE Assistant for people who build their own LangChain agents: the hybrid retriever as a LangChain retriever
and as tools.

    from assistant import Assistant
    from assistant.integrations.langchain import ree_ask_tool, ree_retriever, ree_search_tool

    tools = [ree_search_tool(Assistant()), ree_ask_tool(Assistant())]   # hand them to any tool-calling agent
    docs = ree_retriever(Assistant(), k=4).invoke("solvent extraction stages")

Each tool returns readable text with [n] citations (what the model reads) and, as its artifact, the typed result
(`SearchResult` or the answer JSON). Errors come back as the tool's one-line error text, like the CLI's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from assistant.errors import ReeError
from assistant.types import Filters
from assistant.views.rendering import SearchResult, answer_text, search_hits, search_text

if TYPE_CHECKING:
    from assistant.core import Assistant


class SearchArgs(BaseModel):
    query: str = Field(..., description="Search words, e.g. 'solvent extraction stages'.")
    k: int = Field(6, ge=1, le=50, description="How many passages.")
    country: str | None = Field(None, description="Only passages about this country.")
    stage: str | None = Field(None, description="Only passages about this value-chain stage (e.g. separation).")


class AskArgs(BaseModel):
    question: str = Field(..., description="The question in plain words, e.g. 'Can Kazakhstan make magnets?'.")
    conversation_id: str | None = Field(None, description="Reuse for follow-ups like 'And Japan?'.")


def ree_retriever(assistant: Assistant, k: int | None = None, filters: Filters | None = None) -> Any:
    """The hybrid (dense + BM25) retriever as a LangChain `BaseRetriever`."""
    return assistant.retriever.as_langchain(k=k, filters=filters)


def ree_search_tool(assistant: Assistant, name: str = "ree_search") -> Any:
    """A LangChain tool over the retriever: numbered passages with their sources."""
    from langchain_core.tools import StructuredTool, ToolException

    def run(query: str, k: int = 6, country: str | None = None,
            stage: str | None = None) -> tuple[str, dict[str, Any]]:
        filters = Filters(country=country, stage=stage) if (country or stage) else None
        try:
            result = SearchResult(query=query, passages=search_hits(assistant.search(query, k=k, filters=filters)))
        except ReeError as exc:
            raise ToolException(str(exc)) from None
        return search_text(result), result.model_dump(mode="json")

    return StructuredTool.from_function(
        run, name=name, args_schema=SearchArgs, response_format="content_and_artifact", handle_tool_error=True,
        description="Search a sourced corpus on rare-earth-element supply chains (mining, separation, metals, "
                    "magnets, recycling, policy, countries). Returns numbered passages [n] with title, section "
                    "and source; cite them by number.")


def ree_ask_tool(assistant: Assistant, name: str = "ree_ask") -> Any:
    """A LangChain tool that asks REE Assistant: a cited answer (and a gap checklist for capability questions)."""
    from langchain_core.tools import StructuredTool, ToolException

    def run(question: str, conversation_id: str | None = None) -> tuple[str, dict[str, Any]]:
        try:
            answer = assistant.ask(question, conversation_id=conversation_id)
        except ReeError as exc:
            raise ToolException(str(exc)) from None
        return answer_text(answer), answer.to_json()

    return StructuredTool.from_function(
        run, name=name, args_schema=AskArgs, response_format="content_and_artifact", handle_tool_error=True,
        description="Ask REE Assistant a question about rare-earth supply chains. Returns a short answer with "
                    "[n] citations and the sources; 'Can <country> make magnets?' also returns its stage-by-stage "
                    "gap checklist.")


__all__ = ["ree_ask_tool", "ree_retriever", "ree_search_tool"]

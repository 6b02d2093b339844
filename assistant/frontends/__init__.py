"""Thin front ends over the Assistant: CLI, HTTP API, web UI, Slack, MCP, OpenAI-compatible chat."""

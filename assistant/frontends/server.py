"""`ree serve` / `python app.py`: the one app (HTTP API, web UI, Slack endpoint) under uvicorn. The composition
root: it builds the app from the front ends, which never import one another."""

from __future__ import annotations

import logging
import os

log = logging.getLogger("ree.web")


def serve(host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the UI and the API; a missing index is built in the background (progress in the log and the UI).
    Refuses a non-loopback address without REE_API_TOKEN (or REE_API__OPEN=true)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    from assistant.core import Assistant
    from assistant.frontends.auth import check_exposure
    from assistant.frontends.observability import setup_logging

    assistant = Assistant()
    check_exposure(assistant.settings, host)
    setup_logging(assistant.settings)
    import uvicorn

    from assistant.frontends.api import create_app

    app = create_app(assistant, build_missing_index=True)
    log.info("REE Assistant on http://%s:%s (API docs at /docs)", host, port)
    uvicorn.run(app, host=host, port=port, log_level="warning", log_config=None)


__all__ = ["serve"]

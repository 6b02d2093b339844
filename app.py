"""`python app.py`: the web chat UI and HTTP API on http://127.0.0.1:7860 (REE_HOST / REE_PORT to change).

The index is built on first start if it is missing; progress shows in the console and in the UI.
"""

from __future__ import annotations

import os


def main() -> None:
    # REE_HOST/REE_PORT are read here and removed: Settings rejects unknown REE_ keys.
    host = os.environ.pop("REE_HOST", "127.0.0.1")
    port = int(os.environ.pop("REE_PORT", "7860"))
    from assistant.frontends.server import serve

    serve(host=host, port=port)


if __name__ == "__main__":
    main()

"""``transformers serve`` that also writes down what its Molmo2 processor made of each request (tests).

``python -m captioner_app.testing.serve_capture FILE serve MODEL ...`` runs the ``transformers`` command
line unchanged, except that each ``apply_chat_template`` of the Molmo2 processor (the server's only way
from a chat request to the model's inputs) appends one JSON line to FILE: the ``input_ids`` it made
and the ``video_grids``. Tests compare those with the local engine's inputs for the same window.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any


def install(path: str) -> None:
    from transformers.models.molmo2.processing_molmo2 import Molmo2Processor

    original = Molmo2Processor.apply_chat_template
    lock = threading.Lock()

    def recording(self: Any, *args: Any, **kwargs: Any) -> Any:
        out = original(self, *args, **kwargs)
        ids = out.get("input_ids") if hasattr(out, "get") else None
        if ids is not None:
            grids = out.get("video_grids")
            record = {
                "input_ids": [int(i) for i in ids[0]],
                "video_grids": grids.tolist() if grids is not None else None,
            }
            with lock, open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
        return out

    Molmo2Processor.apply_chat_template = recording


def main() -> None:
    path, *args = sys.argv[1:]
    install(path)
    from transformers.cli.transformers import main as transformers_main

    sys.argv = ["transformers", *args]
    transformers_main()


if __name__ == "__main__":
    main()

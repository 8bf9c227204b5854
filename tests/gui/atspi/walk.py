"""Read the app's accessible tree over AT-SPI, as Orca does; run with the system's python3 (pyatspi).

    python3 walk.py tree APP_NAME        the tree of the application named APP_NAME, as JSON (one list)
    python3 walk.py listen SECONDS       events (announcements, name and value changes) as JSON lines

Used by tests/gui/test_atspi.py; imports nothing of the app.
"""

from __future__ import annotations

import json
import sys

import pyatspi  # type: ignore[import-not-found]

MAX_DEPTH = 40
MAX_CHILDREN = 400  # the cue table's cells: enough to see every row of a test track


def describe(node: object, path: str, depth: int) -> dict[str, object]:
    entry: dict[str, object] = {
        "path": path,
        "depth": depth,
        "role": node.getRoleName(),
        "name": node.name or "",
        "description": node.description or "",
        "states": sorted(
            pyatspi.stateToString(s) for s in node.getState().getStates() if s in (pyatspi.STATE_FOCUSED,)
        ),
        "children": node.childCount,
    }
    try:
        value = node.queryValue()
        entry["value"] = value.currentValue
        entry["max"] = value.maximumValue
    except NotImplementedError:
        pass
    try:
        text = node.queryText()
        entry["text"] = text.getText(0, min(text.characterCount, 300))
    except NotImplementedError:
        pass
    return entry


def tree(app_name: str) -> list[dict[str, object]]:
    desktop = pyatspi.Registry.getDesktop(0)
    out: list[dict[str, object]] = []

    def walk(node: object, path: str, depth: int) -> None:
        out.append(describe(node, path, depth))
        if depth >= MAX_DEPTH:
            return
        for i in range(min(node.childCount, MAX_CHILDREN)):
            child = node.getChildAtIndex(i)
            if child is not None:
                walk(child, f"{path}/{i}", depth + 1)

    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is not None and app.name == app_name:
            walk(app, str(i), 0)
    return out


def listen(seconds: float) -> None:
    from gi.repository import GLib  # type: ignore[import-not-found]

    def on_event(event: object) -> None:
        source = event.source
        print(
            json.dumps(
                {
                    "type": event.type,
                    "role": source.getRoleName() if source is not None else "",
                    "name": (source.name or "") if source is not None else "",
                    "data": event.any_data if isinstance(event.any_data, (str, int, float)) else str(event.any_data),
                }
            ),
            flush=True,
        )

    pyatspi.Registry.registerEventListener(
        on_event, "object:announcement", "object:property-change:accessible-name", "object:value-changed"
    )
    GLib.timeout_add(int(seconds * 1000), lambda: pyatspi.Registry.stop())
    print(json.dumps({"type": "listening"}), flush=True)
    pyatspi.Registry.start()


if __name__ == "__main__":
    if sys.argv[1] == "tree":
        print(json.dumps(tree(sys.argv[2])))
    else:
        listen(float(sys.argv[2]))

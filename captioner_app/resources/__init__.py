"""Files the app loads at run time (icon sizes, licence text), shipped inside the package.

They are read with ``importlib.resources``, so they are found the same way in a source checkout, a
wheel, a zip import and the frozen (PyInstaller) bundle. The icon master, desktop entry, AppStream
metainfo and MIME type live in the repository's top-level ``resources/`` folder: installers use them,
the running app does not.
"""

from __future__ import annotations

from importlib import resources

APP_NAME = "Captioner"
LICENSE_NAME = "Apache License 2.0"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def _files():  # the package's folder as a Traversable
    return resources.files(__name__)


def icon_png(size: int) -> bytes:
    """The app icon drawn at ``size`` pixels (one of ICON_SIZES), as PNG bytes."""
    if size not in ICON_SIZES:
        raise ValueError(f"no {size} px icon: the sizes are {', '.join(map(str, ICON_SIZES))}")
    return (_files() / "icons" / f"captioner-{size}.png").read_bytes()


def license_text() -> str:
    """The full text of the licence Captioner is distributed under."""
    return (_files() / "LICENSE.txt").read_text(encoding="utf-8")

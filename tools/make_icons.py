"""Render the icon master (resources/icons/captioner.svg) to every size and format the app and installers use.

    QT_QPA_PLATFORM=offscreen python tools/make_icons.py

Writes captioner_app/resources/icons/captioner-<N>.png (N = 16 ... 512: the window icon and the Linux
hicolor theme), resources/icons/captioner.ico (Windows) and resources/icons/captioner.icns (macOS). The
outputs are committed; run this again after editing the SVG.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "resources" / "icons" / "captioner.svg"
PNG_DIR = ROOT / "captioner_app" / "resources" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO = ROOT / "resources" / "icons" / "captioner.ico"
ICNS = ROOT / "resources" / "icons" / "captioner.icns"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render_png(svg: Path, size: int, target: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(["make_icons"])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {svg}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(target), "PNG"):
        raise SystemExit(f"make_icons: cannot write {target}")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image

    PNG_DIR.mkdir(parents=True, exist_ok=True)
    for size in PNG_SIZES:
        render_png(MASTER, size, PNG_DIR / f"captioner-{size}.png")
    biggest = Image.open(PNG_DIR / "captioner-512.png").convert("RGBA")
    # each size of the .ico is the renderer's own drawing at that size, not a downscale of the biggest
    ico_images = [Image.open(PNG_DIR / f"captioner-{s}.png").convert("RGBA") for s in ICO_SIZES]
    ico_images[-1].save(ICO, format="ICO", sizes=[(s, s) for s in ICO_SIZES], append_images=ico_images[:-1])
    # macOS wants up to 1024 px (512 pt at 2x): drawn from the SVG too, but not shipped as package data
    with tempfile.TemporaryDirectory() as tmp:
        render_png(MASTER, 1024, Path(tmp) / "1024.png")
        icns_base = Image.open(Path(tmp) / "1024.png").convert("RGBA")
        icns_base.load()
    icns_extra = [Image.open(PNG_DIR / f"captioner-{s}.png").convert("RGBA") for s in (16, 32, 64, 128, 256)]
    icns_base.save(ICNS, format="ICNS", append_images=[*icns_extra, biggest])
    print(
        f"wrote {len(PNG_SIZES)} PNGs to {PNG_DIR.relative_to(ROOT)}, {ICO.relative_to(ROOT)}, {ICNS.relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

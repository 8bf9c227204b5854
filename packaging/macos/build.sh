#!/usr/bin/env bash
# macOS: freeze Captioner into Captioner.app (PyInstaller), sign it with the hardened runtime and
# packaging/macos/entitlements.plist, and wrap it in a .dmg.
#
#   packaging/macos/build.sh [OUT]      (OUT defaults to build/frozen)
#
# SIGN_IDENTITY="Developer ID Application: ..." signs for distribution (then notarize the .dmg with
# `xcrun notarytool submit ... --wait` and `xcrun stapler staple`); without it the app is signed ad hoc,
# which runs on the Mac that built it. Build on Apple silicon for the MPS (Metal) GPU path; an Intel
# build runs the model on the CPU. Not run on this project's CI (Linux): review on a Mac before a release.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(mkdir -p "${1:-$ROOT/build/frozen}" && cd "${1:-$ROOT/build/frozen}" && pwd)
PYTHON=${PYTHON:-$([ -x "$ROOT/.venv/bin/python" ] && echo "$ROOT/.venv/bin/python" || echo python3)}
VERSION=$(PYTHONPATH="$ROOT" "$PYTHON" -c "import captioner_app; print(captioner_app.__version__)")
if "$PYTHON" -c "import importlib.metadata as m; m.version('opencv-python')" 2>/dev/null; then
  echo "build.sh: opencv-python is installed: its Qt plugins clash with PySide6's (use opencv-python-headless)" >&2
  exit 1
fi
(cd "$ROOT" && PYTHONPATH="$ROOT" "$PYTHON" -m PyInstaller --noconfirm --distpath "$OUT/dist" \
   --workpath "$OUT/work" packaging/captioner.spec)
APP="$OUT/dist/Captioner.app"
# the command line lives inside the bundle: Captioner.app/Contents/MacOS/captioner
codesign --force --deep --timestamp --options runtime --entitlements "$ROOT/packaging/macos/entitlements.plist" \
  --sign "${SIGN_IDENTITY:--}" "$APP"
codesign --verify --strict --verbose=2 "$APP"
"$APP/Contents/MacOS/captioner" --version
dmg="$OUT/captioner-$VERSION-macos-$(uname -m).dmg"
rm -f "$dmg"
hdiutil create -volname "Captioner $VERSION" -srcfolder "$APP" -ov -format UDZO "$dmg"
echo "build.sh: $dmg"

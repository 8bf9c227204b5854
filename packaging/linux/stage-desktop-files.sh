#!/usr/bin/env bash
# Copy the desktop integration files into a bundle folder (build.sh runs this after PyInstaller):
#   BUNDLE/share/{applications,metainfo,mime/packages,icons/hicolor}/..., install-desktop.sh, LICENSE.txt
# Nothing is installed on this machine: the bundle's install-desktop.sh does that, per user.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUNDLE=${1:?usage: stage-desktop-files.sh BUNDLE}
share="$BUNDLE/share"
install -Dm644 "$ROOT/resources/linux/captioner-gui.desktop" "$share/applications/captioner-gui.desktop"
install -Dm644 "$ROOT/resources/linux/org.captioner.Captioner.metainfo.xml" \
  "$share/metainfo/org.captioner.Captioner.metainfo.xml"
install -Dm644 "$ROOT/resources/linux/captioner-project.xml" "$share/mime/packages/captioner-project.xml"
install -Dm644 "$ROOT/resources/icons/captioner.svg" "$share/icons/hicolor/scalable/apps/captioner.svg"
for png in "$ROOT"/captioner_app/resources/icons/captioner-*.png; do
  size=$(basename "$png" .png); size=${size#captioner-}
  install -Dm644 "$png" "$share/icons/hicolor/${size}x${size}/apps/captioner.png"
done
install -m755 "$ROOT/packaging/linux/install-desktop.sh" "$BUNDLE/install-desktop.sh"
install -m644 "$ROOT/captioner_app/resources/LICENSE.txt" "$BUNDLE/LICENSE.txt"

#!/usr/bin/env bash
# Add Captioner to this user's desktop: menu entry, icon, the .adproj file type, and the commands
# captioner-gui and captioner in ~/.local/bin. Run from the unpacked bundle; nothing needs root.
#
#   ./install-desktop.sh             install (again: it replaces what an earlier run installed)
#   ./install-desktop.sh --uninstall remove it all again (the bundle folder itself is left alone)
set -euo pipefail
BUNDLE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
BIN=${CAPTIONER_BIN_DIR:-$HOME/.local/bin}
SIZES="16 24 32 48 64 128 256 512"

refresh() {  # let the desktop notice; each tool is optional
  if command -v update-mime-database >/dev/null; then update-mime-database "$DATA/mime" >/dev/null 2>&1 || true; fi
  if command -v update-desktop-database >/dev/null; then update-desktop-database -q "$DATA/applications" || true; fi
  if command -v gtk-update-icon-cache >/dev/null && [ -f "$DATA/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t -f "$DATA/icons/hicolor" || true
  fi
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$DATA/applications/captioner-gui.desktop" "$DATA/metainfo/org.captioner.Captioner.metainfo.xml" \
        "$DATA/mime/packages/captioner-project.xml" "$DATA/icons/hicolor/scalable/apps/captioner.svg"
  for s in $SIZES; do rm -f "$DATA/icons/hicolor/${s}x${s}/apps/captioner.png"; done
  for cmd in captioner-gui captioner; do
    # only our own links: never a captioner installed some other way (pip)
    if [ -L "$BIN/$cmd" ] && [ "$(readlink "$BIN/$cmd")" = "$BUNDLE/$cmd" ]; then rm -f "$BIN/$cmd"; fi
  done
  refresh
  echo "Captioner's menu entry, icon and file type are removed for ${USER:-this user}."
  exit 0
fi
[ $# -eq 0 ] || { echo "usage: $0 [--uninstall]" >&2; exit 2; }

# the desktop entry runs this bundle's executable by its full path, quoted (spaces are fine); characters
# the desktop entry format would need escaped are refused rather than half-escaped
case "$BUNDLE" in
  *[\"\`\$\\%\|\&]*) echo "install-desktop.sh: move the bundle to a folder whose path has none of" \
                   "the characters \" \` \$ \\ % | & (it is: $BUNDLE)" >&2; exit 1;;
esac
mkdir -p "$DATA/applications"
sed -e "s|^Exec=captioner-gui |Exec=\"$BUNDLE/captioner-gui\" |" \
    -e "s|^TryExec=captioner-gui\$|TryExec=$BUNDLE/captioner-gui|" \
  "$BUNDLE/share/applications/captioner-gui.desktop" > "$DATA/applications/captioner-gui.desktop.part"
mv "$DATA/applications/captioner-gui.desktop.part" "$DATA/applications/captioner-gui.desktop"
install -Dm644 "$BUNDLE/share/metainfo/org.captioner.Captioner.metainfo.xml" \
  "$DATA/metainfo/org.captioner.Captioner.metainfo.xml"
install -Dm644 "$BUNDLE/share/mime/packages/captioner-project.xml" "$DATA/mime/packages/captioner-project.xml"
install -Dm644 "$BUNDLE/share/icons/hicolor/scalable/apps/captioner.svg" \
  "$DATA/icons/hicolor/scalable/apps/captioner.svg"
for s in $SIZES; do
  install -Dm644 "$BUNDLE/share/icons/hicolor/${s}x${s}/apps/captioner.png" "$DATA/icons/hicolor/${s}x${s}/apps/captioner.png"
done
mkdir -p "$BIN"
for cmd in captioner-gui captioner; do
  if [ -e "$BIN/$cmd" ] && ! [ -L "$BIN/$cmd" ]; then
    echo "install-desktop.sh: $BIN/$cmd exists and is not a link to a Captioner bundle: left as it is" >&2
  else
    ln -sfn "$BUNDLE/$cmd" "$BIN/$cmd"
  fi
done
refresh
echo "Captioner is in the applications menu for ${USER:-this user}; .adproj projects open with it."
case ":$PATH:" in *":$BIN:"*) ;; *) echo "Add $BIN to PATH to run captioner and captioner-gui from a terminal.";; esac

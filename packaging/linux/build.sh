#!/usr/bin/env bash
# Frozen Linux build of Captioner: a folder bundle (captioner-gui + captioner) and a .tar.gz of it.
#
#   packaging/linux/build.sh [OUT]        (OUT defaults to build/frozen; build/ is git-ignored)
#
# PYTHON names the interpreter whose environment has Captioner's dependencies and PyInstaller
# (pip install -e '.[packaging]'); it defaults to .venv/bin/python, then python3.
# Writes OUT/dist/Captioner/ (run ./captioner-gui, or ./install-desktop.sh to add the menu entry, icon and
# .adproj file type for this user) and OUT/captioner-VERSION-linux-ARCH.tar.gz. The bundle carries the
# torch of the build environment: a CUDA torch makes a CUDA bundle (several GB), a CPU torch
# (pip install torch --index-url https://download.pytorch.org/whl/cpu) a much smaller CPU-only one.
# No AppImage: appimagetool and its runtime are not in the Debian or PyPI registries (see docs/install.md).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(mkdir -p "${1:-$ROOT/build/frozen}" && cd "${1:-$ROOT/build/frozen}" && pwd)
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi
die() { echo "build.sh: $*" >&2; exit 1; }

"$PYTHON" -c "import PyInstaller" 2>/dev/null \
  || die "PyInstaller is not installed for $PYTHON (pip install -e '.[packaging]')"
# opencv-python (not -headless) ships Qt plugins that clash with PySide6's: refuse to bundle it
if "$PYTHON" -c "import importlib.metadata as m; m.version('opencv-python')" 2>/dev/null; then
  die "opencv-python is installed next to opencv-python-headless: its Qt plugins clash with PySide6's" \
      "(pip uninstall opencv-python; pip install --force-reinstall opencv-python-headless)"
fi
VERSION=$(cd "$ROOT" && PYTHONPATH="$ROOT" "$PYTHON" -c "import captioner_app; print(captioner_app.__version__)")
ARCH=$(uname -m)
DIST="$OUT/dist"
BUNDLE="$DIST/Captioner"

echo "build.sh: freezing Captioner $VERSION with $("$PYTHON" -m PyInstaller --version) into $BUNDLE"
start=$(date +%s)
(cd "$ROOT" && PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m PyInstaller --noconfirm \
   --log-level "${PYINSTALLER_LOG_LEVEL:-WARN}" --distpath "$DIST" --workpath "$OUT/work" packaging/captioner.spec)
frozen=$(date +%s)

# desktop integration files, installed per user by the bundle's install-desktop.sh
"$ROOT/packaging/linux/stage-desktop-files.sh" "$BUNDLE"

# what the dynamic imports need must be there, and opencv-python's Qt plugins must not
internal="$BUNDLE/_internal"
for need in captioner_app/resources/icons/captioner-512.png silero_vad/data/silero_vad.jit \
            transformers/models/molmo2/modeling_molmo2.py transformers/models/molmo2/processing_molmo2.py \
            scenedetect/detectors/adaptive_detector.pyc spellchecker/resources/en.json.gz PySide6/Qt/plugins/platforms/libqoffscreen.so \
            PySide6/Qt/plugins/platforms/libqxcb.so; do
  [ -e "$internal/$need" ] || [ -e "$internal/${need%.pyc}.py" ] || die "the bundle lacks $need"
done
compgen -G "$internal/torchvision/_C_stable*" >/dev/null || die "the bundle lacks torchvision's operators (_C_stable)"
if [ -d "$internal/cv2/qt" ]; then die "the bundle carries opencv-python's Qt plugins ($internal/cv2/qt)"; fi

archive="$OUT/captioner-$VERSION-linux-$ARCH.tar.gz"
if command -v pigz >/dev/null; then compress=(pigz -6); else compress=(gzip -6); fi
tar -C "$DIST" -cf - Captioner | "${compress[@]}" > "$archive.part"
mv "$archive.part" "$archive"
done_at=$(date +%s)

echo "build.sh: bundle   $BUNDLE ($(du -sh "$BUNDLE" | cut -f1))"
echo "build.sh: archive  $archive ($(du -sh "$archive" | cut -f1))"
echo "build.sh: took $((frozen - start)) s to freeze, $((done_at - frozen)) s to archive"

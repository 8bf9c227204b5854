#!/usr/bin/env bash
# Smoke test of the frozen Linux build (packaging/linux/build.sh), for CI and for a release check.
#
#   packaging/linux/smoke.sh [BUNDLE]    (BUNDLE defaults to build/frozen/dist/Captioner)
#
# 1. the frozen `captioner` captions a generated video with the tiny random Molmo2 and writes a WebVTT;
# 2. the frozen `captioner-gui` starts on Qt's offscreen platform, opens that video (probe, first frame,
#    speech and shot analysis), and quits cleanly on SIGTERM (exit code 0);
# 3. the bundle's desktop files install into a scratch XDG_DATA_HOME and pass desktop-file-validate;
# 4. it prints the bundle's size and start-up times next to the pip-installed app's.
# Both frozen programs run without a network (unshare -n) where this machine allows it.
# PYTHON (default .venv/bin/python, then python3) is the source environment: it makes the test video and
# the tiny model (captioner_app.testing is not in the bundle) and is the "pip-installed" side of the
# comparison. COLD=1 drops the page cache first (root only) so the first start is a cold one.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUNDLE=$(cd "${1:-$ROOT/build/frozen/dist/Captioner}" && pwd)
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi
fail() { echo "smoke.sh: FAILED: $*" >&2; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
[ -x "$BUNDLE/captioner" ] && [ -x "$BUNDLE/captioner-gui" ] || fail "$BUNDLE has no captioner/captioner-gui"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/captioner-smoke.XXXXXX")
GUI_PID=
cleanup() {
  if [ -n "$GUI_PID" ] && kill -0 "$GUI_PID" 2>/dev/null; then kill -KILL "$GUI_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
# nothing from this user's setup: own data folder, model cache and settings
export CAPTIONER_DATA_DIR="$WORK/data" HF_HOME="$WORK/hf" XDG_CACHE_HOME="$WORK/cache" QT_QPA_PLATFORM=offscreen
export TRANSFORMERS_VERBOSITY=error
unset CAPTIONER_MODEL

if unshare -n true 2>/dev/null; then NONET=(unshare -n --); net="none (unshare -n)"
elif unshare -rn true 2>/dev/null; then NONET=(unshare -rn --); net="none (unshare -rn)"
else
  NONET=(env HF_HUB_OFFLINE=1); net="NOT isolated (unshare is not allowed here): HF_HUB_OFFLINE=1 only"
fi
echo "smoke.sh: bundle $BUNDLE; network for the frozen programs: $net"

echo "smoke.sh: making a test video and the tiny model with $PYTHON"
(cd "$ROOT" && PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 "$PYTHON" - "$WORK" <<'EOF'
import sys
from pathlib import Path

from captioner_app.testing.media import make_video, tone
from captioner_app.testing.tiny_molmo import build_tiny_model

work = Path(sys.argv[1])
make_video(work / "clip.mp4", 8.0, audio=tone(8.0), scene_cuts_s=[4.0])
build_tiny_model(work / "model")
EOF
) >"$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log"; fail "could not make the test video or tiny model"; }

if [ "${COLD:-0}" = 1 ]; then
  sync
  if echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; then cache="cold (page cache dropped)"; else cache="page cache NOT dropped (needs root)"; fi
else
  cache="first run after the build (COLD=1 drops the page cache first)"
fi

# -- start-up: the frozen CLI (first run, then again) and the pip-installed one -----------------------
t0=$(now); "${NONET[@]}" "$BUNDLE/captioner" --version >"$WORK/version.txt"; t1=$(now)
frozen_cli_first=$(secs "$t0" "$t1")
t0=$(now); "${NONET[@]}" "$BUNDLE/captioner" --version >/dev/null; t1=$(now)
frozen_cli_again=$(secs "$t0" "$t1")
grep -q "^captioner " "$WORK/version.txt" || fail "captioner --version printed: $(cat "$WORK/version.txt")"
t0=$(now); (cd "$WORK" && "$PYTHON" -m captioner_app.cli.main --version >/dev/null); t1=$(now)
pip_cli=$(secs "$t0" "$t1")

# -- 1. the frozen CLI captions the video ------------------------------------------------------------
t0=$(now)
"${NONET[@]}" "$BUNDLE/captioner" caption "$WORK/clip.mp4" --model "$WORK/model" --device cpu --detail low \
  --window 2 --quiet -o "$WORK/clip.vtt" >"$WORK/caption.log" 2>&1 \
  || { cat "$WORK/caption.log"; fail "the frozen captioner could not caption the video"; }
t1=$(now)
frozen_caption=$(secs "$t0" "$t1")
head -1 "$WORK/clip.vtt" | grep -q "^WEBVTT" || fail "clip.vtt is not WebVTT"
cues=$(grep -c -- "-->" "$WORK/clip.vtt" || true)
[ "$cues" -ge 1 ] || fail "clip.vtt has no cues"
echo "smoke.sh: ok: the frozen captioner wrote clip.vtt ($cues cues) in $frozen_caption s"

# -- 2. the frozen GUI opens the video and quits on SIGTERM ------------------------------------------
# $1: label, rest: the command. Sets opened_s (start -> "Opened" status) and checks a clean exit.
run_gui() {
  local label=$1; shift
  local log="$WORK/gui-$label.log"
  rm -rf "$CAPTIONER_DATA_DIR"
  t0=$(now)
  "$@" "$WORK/clip.mp4" --verbose --no-restore --model "$WORK/model" --device cpu >"$log" 2>&1 &
  GUI_PID=$!
  opened_s=
  for _ in $(seq 1 3000); do  # up to 300 s on a busy 2-core machine
    if [ -z "$opened_s" ] && grep -q "^captioner-gui: Opened clip.mp4" "$log"; then opened_s=$(secs "$t0" "$(now)"); fi
    if grep -q "shot change" "$log"; then break; fi
    kill -0 "$GUI_PID" 2>/dev/null || { cat "$log"; fail "$label captioner-gui exited early"; }
    sleep 0.1
  done
  [ -n "$opened_s" ] || { cat "$log"; fail "$label captioner-gui did not open the video"; }
  grep -q "shot change" "$log" || { cat "$log"; fail "$label captioner-gui did not finish analysing the video"; }
  kill -TERM "$GUI_PID"
  local rc=0 t_quit
  t_quit=$(now)
  wait "$GUI_PID" || rc=$?
  quit_s=$(secs "$t_quit" "$(now)")
  GUI_PID=
  [ "$rc" = 0 ] || { cat "$log"; fail "$label captioner-gui exited with $rc after SIGTERM"; }
  ! grep -q "Traceback" "$log" || { cat "$log"; fail "$label captioner-gui printed a traceback"; }
}
run_gui frozen "${NONET[@]}" "$BUNDLE/captioner-gui"
frozen_gui=$opened_s
echo "smoke.sh: ok: the frozen captioner-gui opened clip.mp4 in $frozen_gui s, analysed it, quit cleanly" \
  "($quit_s s after SIGTERM)"
grep "^captioner-gui: " "$WORK/gui-frozen.log" | sed 's/^/    /'
run_gui pip env PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m captioner_app
pip_gui=$opened_s

# -- 3. per-user desktop integration ------------------------------------------------------------------
XDG_DATA_HOME="$WORK/xdg" CAPTIONER_BIN_DIR="$WORK/bin" "$BUNDLE/install-desktop.sh" >/dev/null
installed="$WORK/xdg/applications/captioner-gui.desktop"
[ -f "$installed" ] && [ -f "$WORK/xdg/icons/hicolor/256x256/apps/captioner.png" ] \
  && [ -f "$WORK/xdg/mime/packages/captioner-project.xml" ] && [ -L "$WORK/bin/captioner" ] \
  || fail "install-desktop.sh did not install the entry, icon, MIME type and commands"
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$installed" || fail "the installed desktop entry does not validate"
fi
XDG_DATA_HOME="$WORK/xdg" CAPTIONER_BIN_DIR="$WORK/bin" "$BUNDLE/install-desktop.sh" --uninstall >/dev/null
[ ! -e "$installed" ] && [ ! -e "$WORK/bin/captioner" ] || fail "install-desktop.sh --uninstall left files"
echo "smoke.sh: ok: install-desktop.sh installs and removes the menu entry, icon, MIME type and commands"

# -- 4. figures ---------------------------------------------------------------------------------------
size=$(du -sh "$BUNDLE" | cut -f1)
files=$(find "$BUNDLE" -type f | wc -l)
echo
echo "smoke.sh: all checks passed. Figures ($(nproc) cores; start-up: $cache):"
printf '  %-44s %s\n' "bundle size" "$size ($files files)"
printf '  %-44s %s s (again: %s s)\n' "frozen:  captioner --version" "$frozen_cli_first" "$frozen_cli_again"
printf '  %-44s %s s\n' "pip:     captioner --version" "$pip_cli"
printf '  %-44s %s s\n' "frozen:  captioner-gui start -> video opened" "$frozen_gui"
printf '  %-44s %s s\n' "pip:     captioner-gui start -> video opened" "$pip_gui"
printf '  %-44s %s s\n' "frozen:  captioner caption (tiny model, 8 s)" "$frozen_caption"

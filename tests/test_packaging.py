"""packaging/: the per-user desktop installer of the Linux bundle, and the platform files' consistency.

The frozen build itself (packaging/linux/build.sh, then smoke.sh) takes tens of minutes and several GB, so
it is not part of this suite; these tests cover what can go wrong without freezing anything.
"""

from __future__ import annotations

import os
import plistlib
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from captioner_app import __version__
from captioner_app.core.tracks.project import EXTENSION

ROOT = Path(__file__).resolve().parent.parent
LINUX = ROOT / "packaging" / "linux"


def _fake_bundle(folder: Path) -> Path:
    """A bundle folder as build.sh lays it out, with stand-ins for the two frozen executables."""
    subprocess.run([str(LINUX / "stage-desktop-files.sh"), str(folder)], check=True, timeout=60)
    for name in ("captioner", "captioner-gui"):
        exe = folder / name
        exe.write_text("#!/bin/sh\necho frozen\n", encoding="utf-8")
        exe.chmod(0o755)
    return folder


def _install(bundle: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(home / "data"), CAPTIONER_BIN_DIR=str(home / "bin"))
    return subprocess.run(
        [str(bundle / "install-desktop.sh"), *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_install_desktop_adds_entry_icon_mime_type_and_commands_then_removes_them(tmp_path: Path):
    bundle = _fake_bundle(tmp_path / "My Apps" / "Captioner")  # a space in the path
    home = tmp_path / "home"
    result = _install(bundle, home)
    assert result.returncode == 0, result.stderr
    data = home / "data"
    entry = (data / "applications" / "captioner-gui.desktop").read_text(encoding="utf-8")
    assert f'\nExec="{bundle}/captioner-gui" %F\n' in entry
    assert f"\nTryExec={bundle}/captioner-gui\n" in entry
    for size in (16, 48, 256, 512):
        assert (data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "captioner.png").is_file()
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / "captioner.svg").is_file()
    assert (data / "mime" / "packages" / "captioner-project.xml").is_file()
    assert (data / "metainfo" / "org.captioner.Captioner.metainfo.xml").is_file()
    for cmd in ("captioner", "captioner-gui"):
        assert os.readlink(home / "bin" / cmd) == str(bundle / cmd)
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(
            ["desktop-file-validate", str(data / "applications" / "captioner-gui.desktop")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout
    # running it again replaces, it does not fail
    assert _install(bundle, home).returncode == 0
    # a captioner installed some other way is never replaced or removed
    (home / "bin" / "captioner").unlink()
    (home / "bin" / "captioner").write_text("#!/bin/sh\n", encoding="utf-8")
    again = _install(bundle, home)
    assert again.returncode == 0 and "not a link to a Captioner bundle" in again.stderr
    removed = _install(bundle, home, "--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert not (data / "applications" / "captioner-gui.desktop").exists()
    assert not list((data / "icons").rglob("captioner.*"))
    assert not (data / "mime" / "packages" / "captioner-project.xml").exists()
    assert not (home / "bin" / "captioner-gui").exists()
    assert (home / "bin" / "captioner").read_text(encoding="utf-8") == "#!/bin/sh\n"


def test_install_desktop_refuses_a_path_it_cannot_quote(tmp_path: Path):
    bundle = _fake_bundle(tmp_path / "100% done" / "Captioner")
    result = _install(bundle, tmp_path / "home")
    assert result.returncode == 1
    assert "move the bundle" in result.stderr and "100% done" in result.stderr
    assert not (tmp_path / "home" / "data" / "applications" / "captioner-gui.desktop").exists()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_shell_scripts_parse():
    for script in LINUX.glob("*.sh"):
        subprocess.run(["bash", "-n", str(script)], check=True, timeout=30)
        assert os.access(script, os.X_OK), f"{script.name} is not executable"


def test_windows_installer_associates_projects_and_matches_the_version():
    iss = (ROOT / "packaging" / "windows" / "captioner.iss").read_text(encoding="utf-8")
    assert re.search(rf'#define AppVersion "{re.escape(__version__)}"', iss)
    assert f'"{EXTENSION}"' in iss  # the .adproj association
    assert "[Icons]" in iss and "{group}" in iss and "[UninstallDelete]" in iss
    assert "ChangesAssociations=yes" in iss
    assert "captioner.ico" in iss


def test_macos_plist_declares_the_project_document_type():
    info = plistlib.loads((ROOT / "packaging" / "macos" / "Info.plist").read_bytes())
    assert info["CFBundleShortVersionString"] == __version__
    assert info["CFBundleExecutable"] == "captioner-gui"
    assert info["CFBundleIconFile"] == "captioner.icns"
    doc = next(d for d in info["CFBundleDocumentTypes"] if "org.captioner.project" in d["LSItemContentTypes"])
    assert doc["CFBundleTypeRole"] == "Editor"
    exported = next(t for t in info["UTExportedTypeDeclarations"] if t["UTTypeIdentifier"] == "org.captioner.project")
    assert exported["UTTypeTagSpecification"]["public.filename-extension"] == [EXTENSION.lstrip(".")]
    assert "public.json" in exported["UTTypeConformsTo"]
    entitlements = plistlib.loads((ROOT / "packaging" / "macos" / "entitlements.plist").read_bytes())
    # PyTorch and PySide6 load unsigned-by-us libraries and JIT code under the hardened runtime
    assert entitlements["com.apple.security.cs.allow-jit"] is True
    assert entitlements["com.apple.security.cs.disable-library-validation"] is True


def test_spec_bundles_what_the_dynamic_imports_need():
    spec = (ROOT / "packaging" / "captioner.spec").read_text(encoding="utf-8")
    for needed in (
        'collect_submodules("transformers.models.molmo2")',
        'collect_data_files("silero_vad"',
        'collect_submodules("scenedetect")',
        'collect_data_files("captioner_app"',
        '"cv2.qt"',
    ):
        assert needed in spec
    # every subcommand module the CLI imports by name is a real module
    from captioner_app.cli.main import COMMAND_MODULES

    for name in COMMAND_MODULES:
        assert (ROOT / (name.replace(".", "/") + ".py")).is_file()


def test_metainfo_mime_type_and_macos_type_agree():
    mime = ET.parse(ROOT / "resources" / "linux" / "captioner-project.xml").getroot()
    ns = "{http://www.freedesktop.org/standards/shared-mime-info}"
    mime_type = mime.find(f"{ns}mime-type").get("type")  # type: ignore[union-attr]
    info = plistlib.loads((ROOT / "packaging" / "macos" / "Info.plist").read_bytes())
    exported = info["UTExportedTypeDeclarations"][0]
    assert exported["UTTypeTagSpecification"]["public.mime-type"] == [mime_type]

"""resources/ (icon, desktop entry, AppStream metainfo, MIME type) and the package data the app loads."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from configparser import ConfigParser
from pathlib import Path

import pytest

from captioner_app import __version__
from captioner_app.resources import ICON_SIZES, icon_png, license_text

ROOT = Path(__file__).resolve().parent.parent
LINUX = ROOT / "resources" / "linux"
DESKTOP = LINUX / "captioner-gui.desktop"
METAINFO = LINUX / "org.captioner.Captioner.metainfo.xml"
MIME = LINUX / "captioner-project.xml"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
PROJECT_MIME = "application/x-captioner-project"


def _desktop() -> dict[str, str]:
    parser = ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_every_icon_size_is_package_data_and_drawn_at_its_size():
    import io

    from PIL import Image

    for size in ICON_SIZES:
        image = Image.open(io.BytesIO(icon_png(size)))
        assert image.format == "PNG" and image.size == (size, size), size
        assert image.mode == "RGBA"
        # drawn, not blank: the corners are transparent (rounded square) and the centre is opaque
        assert image.getpixel((0, 0))[3] == 0 and image.getpixel((size // 2, size // 2))[3] == 255
    with pytest.raises(ValueError, match="no 20 px icon"):
        icon_png(20)


def test_windows_ico_and_macos_icns_hold_the_sizes_their_platforms_use():
    from PIL import Image

    ico = Image.open(ROOT / "resources" / "icons" / "captioner.ico")
    assert ico.format == "ICO"
    assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    icns = Image.open(ROOT / "resources" / "icons" / "captioner.icns")
    assert icns.format == "ICNS"
    assert icns.size == (1024, 1024)  # 512 pt at 2x
    master = ET.parse(ROOT / "resources" / "icons" / "captioner.svg").getroot()
    assert master.tag == "{http://www.w3.org/2000/svg}svg" and master.get("viewBox") == "0 0 256 256"


def test_licence_text_ships_with_the_package():
    text = license_text()
    assert "Apache License" in text and "Version 2.0" in text and "END OF TERMS AND CONDITIONS" in text
    assert '\nlicense = "Apache-2.0"\n' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


@pytest.mark.slow
def test_wheel_carries_the_run_time_resources(tmp_path: Path):
    """A pip install gets the icons and licence (declared package data), not only a source checkout."""
    pytest.importorskip("setuptools", reason="building a wheel offline needs setuptools in this environment")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("captioner_app-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for size in ICON_SIZES:
        assert f"captioner_app/resources/icons/captioner-{size}.png" in names
    assert "captioner_app/resources/LICENSE.txt" in names


def test_package_data_patterns_cover_every_resource_file():
    """Every non-Python file under captioner_app/resources/ is declared package data in pyproject.toml."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    line = next(x for x in pyproject.splitlines() if x.startswith('"captioner_app.resources" = '))
    patterns = [p.strip().strip('"') for p in line.split("=", 1)[1].strip(" []").split(",")]
    folder = ROOT / "captioner_app" / "resources"
    files = [p for p in folder.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")]
    assert files
    for path in files:
        assert any(path.relative_to(folder).match(p) for p in patterns), f"{path.name} is not package data"


def test_desktop_entry_names_the_installed_command_icon_and_project_type():
    entry = _desktop()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    gui_scripts = pyproject.split("[project.gui-scripts]", 1)[1].split("\n[", 1)[0]
    assert f'\n{entry["Exec"].split()[0]} = "captioner_app.gui.app:main"' in gui_scripts
    assert entry["Exec"].split()[1] == "%F"  # several files at once, as captioner-gui FILE... accepts
    assert entry["Icon"] == "captioner"
    assert PROJECT_MIME in entry["MimeType"].split(";")
    # the app tells the desktop which entry is its own: the file must carry that name
    source = (ROOT / "captioner_app" / "gui" / "app.py").read_text(encoding="utf-8")
    assert f'setDesktopFileName("{DESKTOP.stem}")' in source


def test_metainfo_names_the_desktop_entry_and_the_current_release():
    root = ET.parse(METAINFO).getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("project_license") == "Apache-2.0"
    releases = root.findall("releases/release")
    assert releases and releases[0].get("version") == __version__, "add a <release> for the new version"
    assert root.find("screenshots/screenshot/image") is not None
    assert PROJECT_MIME in [m.text for m in root.findall("provides/mediatype")]


def test_mime_type_matches_project_files_by_name_and_content(tmp_path: Path):
    from captioner_app.core.tracks.project import EXTENSION, Project, save_project

    mime = ET.parse(MIME).getroot().find(f"{MIME_NS}mime-type")
    assert mime is not None and mime.get("type") == PROJECT_MIME
    assert mime.find(f"{MIME_NS}glob").get("pattern") == f"*{EXTENSION}"  # type: ignore[union-attr]
    match = mime.find(f"{MIME_NS}magic/{MIME_NS}match")
    assert match is not None
    start, end = (int(x) for x in match.get("offset", "").split(":"))
    path = save_project(Project(video="/videos/a.mp4"), tmp_path / f"p{EXTENSION}")
    head = Path(path).read_bytes()[: end + len(match.get("value", ""))]
    assert head.find(match.get("value", "").encode(), start) >= 0, "the magic no longer matches saved projects"


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None,
    reason="desktop-file-validate not installed (apt install desktop-file-utils; .ci/run does)",
)
def test_desktop_file_validate_passes():
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


@pytest.mark.skipif(
    shutil.which("appstreamcli") is None, reason="appstreamcli not installed (apt install appstream; .ci/run does)"
)
def test_appstreamcli_validate_passes():
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr

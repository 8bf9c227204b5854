# Windows: freeze Captioner with PyInstaller, then make the installer with Inno Setup 6.
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
# Needs: a virtual environment with Captioner and PyInstaller (pip install -e .[packaging]; for NVIDIA GPUs
# install the CUDA torch wheel first, see docs\install.md) and Inno Setup 6's iscc.exe on PATH or in its
# default folder. Not run on this project's CI (Linux): review on Windows before a release.
$ErrorActionPreference = "Stop"
$root = Resolve-Path "$PSScriptRoot\..\.."
Set-Location $root
$python = if ($env:PYTHON) { $env:PYTHON } elseif (Test-Path ".venv\Scripts\python.exe") { ".venv\Scripts\python.exe" } else { "python" }
& $python -c "import importlib.metadata as m; m.version('opencv-python')" 2>$null
if ($LASTEXITCODE -eq 0) { throw "opencv-python is installed: its Qt plugins clash with PySide6 (use opencv-python-headless only)" }
$env:PYTHONPATH = "$root"
& $python -m PyInstaller --noconfirm --distpath build\frozen\dist --workpath build\frozen\work packaging\captioner.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }
& build\frozen\dist\Captioner\captioner.exe --version
if ($LASTEXITCODE -ne 0) { throw "the frozen captioner.exe does not start" }
$iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $iscc) { $iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $iscc packaging\windows\captioner.iss
if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
Get-ChildItem build\frozen\captioner-*-setup*

; Inno Setup 6 script: the Windows installer of Captioner (captioner-gui.exe and captioner.exe).
;
; Build on Windows, from the repository root, in a virtual environment with Captioner installed
; (pip install -e .[packaging]; for NVIDIA GPUs first the CUDA torch wheel, see docs/install.md):
;   pyinstaller --noconfirm --distpath build\frozen\dist --workpath build\frozen\work packaging\captioner.spec
;   iscc packaging\windows\captioner.iss
; (packaging\windows\build.ps1 runs both.) The installer lands in build\frozen\.
;
; What it does: installs per user by default (no administrator rights; an administrator can choose "all
; users"), a Start-menu entry for the app and one for the command line, an optional desktop icon, the
; .adproj project association (double-click opens the project in Captioner), "Open with Captioner" for
; videos, and an uninstaller (Settings > Apps, or the Start-menu entry). The model weights are not in
; the installer: the app's first start offers to download them into the user's Hugging Face cache, which
; the uninstaller leaves alone (it can be tens of GB and shared with other tools).
; Not built or tested on this project's CI (Linux): review it on Windows before a release.

#define AppName "Captioner"
#define AppVersion "0.1.0"
#define AppPublisher "The Captioner developers"
#define AppExe "captioner-gui.exe"
#define CliExe "captioner.exe"
#define ProgId "Captioner.Project"
#define SourceDir "..\..\build\frozen\dist\Captioner"

[Setup]
; a fixed id: upgrades replace the earlier version instead of installing beside it
AppId={{10CDFAA5-8579-4374-B1D7-0743052F8374}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
LicenseFile=..\..\captioner_app\resources\LICENSE.txt
SetupIconFile=..\..\resources\icons\captioner.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
OutputDir=..\..\build\frozen
OutputBaseFilename=captioner-{#AppVersion}-windows-x64-setup
; a CUDA build is several GB: split into setup.exe + .bin slices (Inno Setup cannot make one file over 4 GB)
DiskSpanning=yes
DiskSliceSize=max
Compression=lzma2/fast
SolidCompression=no
ChangesAssociations=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "associate"; Description: "Open Captioner projects (.adproj) with Captioner"; GroupDescription: "File types:"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Write audio-description tracks for videos"
; a console with the command line on PATH (captioner caption VIDEO ..., captioner --help)
Name: "{group}\{#AppName} Command Line"; Filename: "{cmd}"; \
  Parameters: "/k ""set ""PATH={app};%PATH%"" && {#CliExe} --help"""; WorkingDir: "{userdocs}"; \
  Comment: "A command prompt where the captioner command works"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; .adproj -> Captioner.Project (HKA: the current user's or the machine's classes, as the install mode is)
Root: HKA; Subkey: "Software\Classes\.adproj"; ValueType: string; ValueName: ""; ValueData: "{#ProgId}"; \
  Flags: uninsdeletevalue; Tasks: associate
Root: HKA; Subkey: "Software\Classes\.adproj"; ValueType: string; ValueName: "Content Type"; \
  ValueData: "application/x-captioner-project"; Flags: uninsdeletevalue; Tasks: associate
Root: HKA; Subkey: "Software\Classes\.adproj\OpenWithProgids"; ValueType: string; ValueName: "{#ProgId}"; \
  ValueData: ""; Flags: uninsdeletevalue; Tasks: associate
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; \
  ValueData: "Captioner audio-description project"; Flags: uninsdeletekey; Tasks: associate
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; \
  ValueData: "{app}\{#AppExe},0"; Tasks: associate
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; \
  ValueData: """{app}\{#AppExe}"" ""%1"""; Tasks: associate
; "Open with" for projects and the video types the app reads (not the default program for videos)
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}"; ValueType: string; ValueName: "FriendlyAppName"; \
  ValueData: "{#AppName}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\shell\open\command"; ValueType: string; \
  ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".adproj"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".mp4"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".mkv"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".mov"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".webm"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".avi"; ValueData: ""

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; files the frozen app may write next to itself at run time (Python byte-code caches); the user's
; settings, autosaves and downloaded model live in the user's profile and are kept
Type: filesandordirs; Name: "{app}\_internal\__pycache__"
Type: dirifempty; Name: "{app}\_internal"
Type: dirifempty; Name: "{app}"

; Loopback Tuner: Inno Setup 6 script for a per-machine installer of dist\loopback-tuner\.
;
; Build it through `python packaging\build.py --installer` (the Windows workflow does), which passes:
;   -dAppVersion=0.1.0        version from pyproject.toml (required)
;   -dFileVersion=0.1.0.0     the same as four numbers, for Setup's own version resource
;   -dBundleDir=...           the PyInstaller bundle folder
;   -dIconFile=...            build\packaging\loopback-tuner.ico
;   -o<dist>                  output folder
; and, only when a certificate is configured (SIGN_CERT_PATH or SIGN_CERT_THUMBPRINT):
;   -ssigntool=powershell.exe ... packaging\sign.ps1 $f   -dSignToolName=signtool
; By hand: iscc -dAppVersion=0.1.0 -dBundleDir=C:\src\dist\loopback-tuner packaging\installer.iss
;
; Security: the app installs per machine into Program Files (PrivilegesRequired=admin, no per-user
; override). Only administrators can write there, which matters because loopback-tuner.exe is the
; program that gets started elevated (--elevated-helper): a per-user install would let any process
; of that user replace what later runs as administrator. The app checks this before every UAC prompt by
; the ACLs of the exe, its folder and each folder above (app/platform/win32_security.py is_admin_only),
; and will not elevate from a folder others can change (e.g. one picked on the directory page under C:\,
; where Authenticated Users may modify new folders).
;
;
; Silent install and uninstall (as administrator; README, "Many machines"):
;   loopback-tuner-X.Y.Z-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
;   "%ProgramFiles%\Loopback Tuner\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART [/RESTORE=original]
; Uninstalling asks whether to put the machine's original loopback values back (default No: leave them, and
; say so). A silent uninstall never asks: it restores only with /RESTORE=original on its command line, by
; running the installed CLI's `restore original --yes` before the files go ([Code] below).
;
; User data: history and settings live in %LOCALAPPDATA%\LoopbackTuner\ (per user). Neither the
; installer nor the uninstaller touches that folder, so uninstalling or upgrading keeps the history.

#ifndef AppVersion
  #error AppVersion is not defined: compile with iscc -dAppVersion=X.Y.Z (packaging\build.py does)
#endif
#ifndef FileVersion
  #define FileVersion AppVersion
#endif
#ifndef BundleDir
  #define BundleDir AddBackslash(SourcePath) + "..\dist\loopback-tuner"
#endif
#ifndef IconFile
  #define IconFile AddBackslash(SourcePath) + "..\build\packaging\loopback-tuner.ico"
#endif

#define AppName "Loopback Tuner"
#define AppExe "loopback-tuner.exe"
#define CliExe "loopback-tuner-cli.exe"

#if !FileExists(AddBackslash(BundleDir) + AppExe) || !FileExists(AddBackslash(BundleDir) + CliExe)
  #error The bundle is incomplete: build it first with python packaging\build.py
#endif

[Setup]
; AppId identifies the product to Windows' uninstall list and to upgrades: never change it.
AppId={{B9445B8D-3C06-4460-A828-E72A3DC28068}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Loopback Tuner developers
VersionInfoVersion={#FileVersion}
VersionInfoProductName={#AppName}
VersionInfoDescription={#AppName} Setup
DefaultDirName={autopf}\{#AppName}
DisableDirPage=auto
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputBaseFilename=loopback-tuner-{#AppVersion}-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
; Close a running Loopback Tuner (Restart Manager) before replacing its files; do not restart it.
CloseApplications=yes
RestartApplications=no
#ifdef SignToolName
SignTool={#SignToolName}
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole PyInstaller folder: both executables and the _internal\ folder they share.
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Inspect and tune Windows' TCP loopback settings"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; The event source "Loopback Tuner" in the Application log: the elevated helper writes one entry per
; change it applies, keeps or reverts (app/storage/machine.py, app/platform/win32_machine.py).
; No message DLL of our own: EventMessageFile points at Windows' own EventCreate.exe, whose message table
; holds "%1" for every event ID from 1 to 1000 (the range `eventcreate /id` accepts; `eventcreate /so X`
; registers a source exactly this way). The helper uses IDs 101-203 and puts the whole sentence in the first
; insertion string, so Event Viewer shows it without "The description for Event ID ... cannot be found";
; who, what, before and after follow as their own strings (the event's Details). EventCreate.exe ships with
; every Windows edition this installer accepts, unlike the .NET Framework's EventLogMessages.dll (absent on
; some Server Core and container images). REG_EXPAND_SZ, so %SystemRoot% is expanded by the reader.
; HKLM\SYSTEM is not redirected for 32-bit processes; the uninstaller deletes the whole key.
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Services\EventLog\Application\Loopback Tuner"; Flags: uninsdeletekey
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Services\EventLog\Application\Loopback Tuner"; ValueType: expandsz; ValueName: "EventMessageFile"; ValueData: "%SystemRoot%\System32\EventCreate.exe"
; EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Services\EventLog\Application\Loopback Tuner"; ValueType: dword; ValueName: "TypesSupported"; ValueData: "7"

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the install folder's own leftovers (files written after install, e.g. by a newer bundle layout).
; %LOCALAPPDATA%\LoopbackTuner (the user's history) is deliberately NOT listed here.
Type: filesandordirs; Name: "{app}\_internal"
Type: dirifempty; Name: "{app}"

[Code]
// Uninstall: put the machine's original loopback values back? Interactively the uninstaller asks (default No:
// the current values stay, and it says so). Silently (/SILENT, /VERYSILENT) it never asks and restores only with
// /RESTORE=original on its command line. tests/packaging/test_installer.py checks these lines.

function RestoreAsked(): Boolean;
begin
  Result := CompareText(ExpandConstant('{param:RESTORE|}'), 'original') = 0;
end;

procedure RestoreOriginalValues();
var
  ResultCode: Integer;
begin
  // The installed CLI, before its files are removed; already elevated (the uninstaller runs as administrator).
  if not Exec(ExpandConstant('{app}\{#CliExe}'), 'restore original --yes', '', SW_HIDE, ewWaitUntilTerminated, ResultCode) then
  begin
    Log('Could not start loopback-tuner-cli to restore the original values: ' + SysErrorMessage(ResultCode));
    SuppressibleMsgBox('The original loopback values could not be put back (loopback-tuner-cli did not start). The current values stay; the uninstall continues.', mbError, MB_OK, IDOK);
  end
  else if ResultCode <> 0 then
  begin
    Log(Format('loopback-tuner-cli restore original --yes exited %d: the current values stay.', [ResultCode]));
    SuppressibleMsgBox(Format('The original loopback values could not be put back (loopback-tuner-cli exit code %d). The current values stay; the uninstall continues.', [ResultCode]), mbError, MB_OK, IDOK);
  end
  else
    Log('The original loopback values were put back.');
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep <> usUninstall then
    Exit;
  if UninstallSilent() then
  begin
    if RestoreAsked() then
      RestoreOriginalValues()
    else
      Log('Silent uninstall without /RESTORE=original: the loopback values are left as they are.');
  end
  else if RestoreAsked() or (MsgBox('Put this machine''s original loopback settings back before uninstalling?' + #13#10#13#10 +
      'No (the default) leaves the current values in place.', mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES) then
    RestoreOriginalValues()
  else
    MsgBox('The current loopback settings stay as they are.', mbInformation, MB_OK);
end;

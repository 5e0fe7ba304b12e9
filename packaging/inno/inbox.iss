; Inno Setup script for the Windows installer of the desktop client.
; packaging/build.sh runs it after PyInstaller when `iscc` is on PATH:
;   iscc /DAppVersion=0.1.0 packaging\inno\inbox.iss
; /DServerURL=https://inbox.example.com makes every installed client open that server; an admin
; can also pass it at install time: inbox-setup-0.1.0.exe /SILENT /SERVER=https://inbox.example.com

#define AppName "Inbox"
#define AppExe "inbox-app.exe"
#define Root "..\.."

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z (build.sh takes it from inbox_app.__version__)
#endif
#ifndef ServerURL
  #define ServerURL ""
#endif

[Setup]
AppId={{6B1E8E52-3C7A-4F0E-9D5B-1F3A2C4E7B90}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user install needs no admin rights; an admin deploying to all users runs it with /ALLUSERS.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=commandline dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#Root}\dist\installer
OutputBaseFilename=inbox-setup-{#AppVersion}
SetupIconFile={#Root}\packaging\icons\inbox.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Root}\dist\inbox-app\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Parameters: "{code:ServerArgument}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Parameters: "{code:ServerArgument}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Parameters: "{code:ServerArgument}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
{ The firm's server: /SERVER=URL on the installer's command line, else the build's ServerURL. }
function ServerArgument(Param: String): String;
var
  Url: String;
begin
  Url := ExpandConstant('{param:SERVER|{#ServerURL}}');
  if Url = '' then
    Result := ''
  else
    Result := '--server "' + Url + '"';
end;

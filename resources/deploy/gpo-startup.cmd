@echo off
rem Loopback Tuner: Group Policy computer STARTUP script.
rem
rem What it does: at every start-up, checks this machine against the profile beside this script
rem   ({{comment:PROFILE_FILE}}) and, only when it differs, applies it (active and saved values) with the installed
rem   loopback-tuner-cli import PROFILE --yes. Each run leaves one entry in the Application event log, source
rem   "{{comment:EVENT_SOURCE}}": ID 1 already compliant, 2 applied, 10 not installed, 11 check failed, 12 apply failed.
rem Profile: {{comment:PROFILE_NAME}} ({{comment:VALUES}})
rem Made by: Loopback Tuner {{comment:APP_VERSION}}, loopback-tuner-cli deploy --for gpo
rem Use: Computer Configuration, Policies, Windows Settings, Scripts, Startup: add this file and copy
rem   {{comment:PROFILE_FILE}} into the same folder of the GPO. It runs as SYSTEM, so no UAC prompt.
rem Exit code: 0 compliant or applied; otherwise loopback-tuner-cli's code, or 9 when it is not installed.
rem Undo: remove the script from the GPO, then run loopback-tuner-cli restore original --yes as administrator,
rem   or deploy a profile of the original values (export one from an untouched machine) the same way.

setlocal EnableExtensions DisableDelayedExpansion
set "UNINSTALL_KEY=HKLM\{{cmd:UNINSTALL_KEY}}"
set "PROFILE=%~dp0{{cmd:PROFILE_FILE}}"
set "SOURCE={{cmd:EVENT_SOURCE}}"
set "INSTALL_DIR="
for /f "tokens=2,*" %%A in ('reg query "%UNINSTALL_KEY%" /v InstallLocation /reg:64 2^>nul ^| findstr /i /c:"InstallLocation"') do set "INSTALL_DIR=%%B"
if not defined INSTALL_DIR goto not_installed
if not "%INSTALL_DIR:~-1%"=="\" set "INSTALL_DIR=%INSTALL_DIR%\"
set "CLI=%INSTALL_DIR%{{cmd:CLI_EXE}}"
if not exist "%CLI%" goto not_installed

"%CLI%" check "%PROFILE%" >nul 2>&1
set "CHECK=%ERRORLEVEL%"
if "%CHECK%"=="0" goto compliant
if not "%CHECK%"=="8" goto check_failed

"%CLI%" import "%PROFILE%" --yes >nul 2>&1
set "RESULT=%ERRORLEVEL%"
if not "%RESULT%"=="0" goto apply_failed
eventcreate /L APPLICATION /T INFORMATION /SO "%SOURCE%" /ID 2 /D "Loopback Tuner applied the profile {{comment:PROFILE_NAME}} and verified it." >nul 2>&1
exit /b 0

:compliant
eventcreate /L APPLICATION /T INFORMATION /SO "%SOURCE%" /ID 1 /D "Loopback Tuner: already compliant with the profile {{comment:PROFILE_NAME}}, nothing changed." >nul 2>&1
exit /b 0

:not_installed
eventcreate /L APPLICATION /T ERROR /SO "%SOURCE%" /ID 10 /D "Loopback Tuner is not installed: no InstallLocation in %UNINSTALL_KEY%, 64-bit view. Nothing changed." >nul 2>&1
exit /b 9

:check_failed
eventcreate /L APPLICATION /T ERROR /SO "%SOURCE%" /ID 11 /D "Loopback Tuner could not check the profile {{comment:PROFILE_NAME}}: loopback-tuner-cli check exited %CHECK%. Nothing changed." >nul 2>&1
exit /b %CHECK%

:apply_failed
eventcreate /L APPLICATION /T ERROR /SO "%SOURCE%" /ID 12 /D "Loopback Tuner could not apply the profile {{comment:PROFILE_NAME}}: loopback-tuner-cli import exited %RESULT%." >nul 2>&1
exit /b %RESULT%

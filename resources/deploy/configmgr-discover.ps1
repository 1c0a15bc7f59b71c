# Loopback Tuner: Configuration Manager configuration item, DISCOVERY script (setting type: Script, data type:
#   String; compliance rule: the value returned equals "Compliant", with "Run the specified remediation script
#   when this setting is noncompliant").
#
# What it does: checks that this machine's loopback settings (active and saved) match the profile below, with
#   the installed `loopback-tuner-cli check`. It changes nothing.
# Profile: {{comment:PROFILE_NAME}} ({{comment:VALUES}})
# Made by: Loopback Tuner {{comment:APP_VERSION}}, `loopback-tuner-cli deploy --for configmgr`
# Output and exit codes: writes "Compliant" or "NonCompliant" and exits 0. A machine that cannot be checked
#   (Loopback Tuner not installed, a Windows build before 1809, netsh output that cannot be read) writes the reason
#   on the error stream and exits 1, which Configuration Manager reports as an error, never as compliant.
# Run it as: PowerShell 5.1 (the CI's "Run scripts by using the 64-bit scripting host" is not needed), as SYSTEM.
# Undo: `loopback-tuner-cli restore original --yes` (as administrator) puts back the machine's original values,
#   or deploy a profile of the original values (export one from an untouched machine) the same way.

{{part:ps-common.ps1}}

$cli = Get-LoopbackTunerCli
if ($null -eq $cli) {
    [Console]::Error.WriteLine('Loopback Tuner is not installed (no InstallLocation in HKLM\' + $UninstallKey + ', 64-bit view)')
    exit 1
}
$run = Invoke-WithProfile $cli @('check')
if ($run.ExitCode -eq 0) {
    Write-Output 'Compliant'
    exit 0
}
if ($run.ExitCode -eq 8) {
    Write-Output 'NonCompliant'
    exit 0
}
[Console]::Error.WriteLine('Cannot check (loopback-tuner-cli exit ' + $run.ExitCode + '): ' + $run.Errors)
exit 1

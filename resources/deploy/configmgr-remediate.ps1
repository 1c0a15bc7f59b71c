# Loopback Tuner: Configuration Manager configuration item, REMEDIATION script (pairs with the discovery script).
#
# What it does: applies the profile below to the active and the saved values with the installed
#   `loopback-tuner-cli import PROFILE --yes`, which re-reads and verifies.
# Profile: {{comment:PROFILE_NAME}} ({{comment:VALUES}})
# Made by: Loopback Tuner {{comment:APP_VERSION}}, `loopback-tuner-cli deploy --for configmgr`
# Exit codes: 0 remediated; otherwise loopback-tuner-cli's own code (3 a value did not stick or netsh failed,
#   4 a build before 1809, 5 no administrator rights), or 1 when Loopback Tuner is not installed, with the reason
#   on the error stream.
# Run it as: PowerShell 5.1, as SYSTEM (already elevated: no UAC prompt).
# Undo: `loopback-tuner-cli restore original --yes` (as administrator) puts back the machine's original values,
#   or deploy a profile of the original values (export one from an untouched machine) the same way.

{{part:ps-common.ps1}}

$cli = Get-LoopbackTunerCli
if ($null -eq $cli) {
    [Console]::Error.WriteLine('Loopback Tuner is not installed (no InstallLocation in HKLM\' + $UninstallKey + ', 64-bit view)')
    exit 1
}
$run = Invoke-WithProfile $cli @('import', '--yes')
if ($run.ExitCode -eq 0) {
    Write-Output ('Remediated: ' + $ProfileName + ' applied and verified')
    exit 0
}
[Console]::Error.WriteLine('Remediation failed (loopback-tuner-cli exit ' + $run.ExitCode + '): ' + $run.Errors)
exit $run.ExitCode

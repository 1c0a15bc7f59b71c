# Loopback Tuner: Intune remediation, REMEDIATION script.
#
# What it does: applies the profile below to the active and the saved values with the installed
#   `loopback-tuner-cli import PROFILE --yes`, which re-reads and verifies. Intune then runs detection again.
# Profile: {{comment:PROFILE_NAME}} ({{comment:VALUES}})
# Made by: Loopback Tuner {{comment:APP_VERSION}}, `loopback-tuner-cli deploy --for intune`
# Exit codes (what Intune expects): 0 remediated; 1 failed (not installed, a value did not stick, the machine
#   cannot be read); the one output line says why. History and logs: see the README, "Many machines".
# Run it as: 64-bit or 32-bit PowerShell 5.1, as SYSTEM (already elevated: no UAC prompt).
# Undo: `loopback-tuner-cli restore original --yes` (as administrator) puts back the machine's original values,
#   or deploy a profile of the original values (export one from an untouched machine) the same way.

{{part:ps-common.ps1}}

$cli = Get-LoopbackTunerCli
if ($null -eq $cli) {
    Write-Output ('Loopback Tuner is not installed (no InstallLocation in HKLM\' + $UninstallKey + ', 64-bit view): install it first')
    exit 1
}
$run = Invoke-WithProfile $cli @('import', '--yes')
if ($run.ExitCode -eq 0) {
    Write-Output ('Remediated: ' + $ProfileName + ' applied and verified')
    exit 0
}
Write-Output ('Remediation failed (loopback-tuner-cli exit ' + $run.ExitCode + '): ' + $run.Errors)
exit 1

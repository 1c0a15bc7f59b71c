# Loopback Tuner: Intune remediation, DETECTION script.
#
# What it does: checks that this machine's loopback settings (active and saved) match the profile below, with
#   the installed `loopback-tuner-cli check`. It changes nothing.
# Profile: {{comment:PROFILE_NAME}} ({{comment:VALUES}})
# Made by: Loopback Tuner {{comment:APP_VERSION}}, `loopback-tuner-cli deploy --for intune`
# Exit codes (what Intune expects): 0 compliant; 1 not compliant, so Intune runs the remediation script. A machine
#   that cannot be checked (Loopback Tuner not installed, a Windows build before 1809, netsh output that cannot be
#   read) is exit 1 too, never "compliant"; the one output line says why.
# Run it as: 64-bit or 32-bit PowerShell 5.1, as SYSTEM (no modules, no network).
# Undo: `loopback-tuner-cli restore original --yes` (as administrator) puts back the machine's original values,
#   or deploy a profile of the original values (export one from an untouched machine) the same way.

{{part:ps-common.ps1}}

$cli = Get-LoopbackTunerCli
if ($null -eq $cli) {
    Write-Output ('Loopback Tuner is not installed (no InstallLocation in HKLM\' + $UninstallKey + ', 64-bit view): install it first')
    exit 1
}
$run = Invoke-WithProfile $cli @('check')
if ($run.ExitCode -eq 0) {
    Write-Output ('Compliant with ' + $ProfileName)
    exit 0
}
if ($run.ExitCode -eq 8) {
    # check printed "Not compliant with <temporary file>: N differences" and one line per difference.
    Write-Output ('Not compliant with ' + $ProfileName + ': ' + ($run.Output -replace '^Not compliant with .+?\.json: ', ''))
    exit 1
}
Write-Output ('Cannot check (loopback-tuner-cli exit ' + $run.ExitCode + '): ' + $run.Errors)
exit 1

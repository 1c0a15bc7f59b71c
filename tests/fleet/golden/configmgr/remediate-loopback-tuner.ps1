# Loopback Tuner: Configuration Manager configuration item, REMEDIATION script (pairs with the discovery script).
#
# What it does: applies the profile below to the active and the saved values with the installed
#   `loopback-tuner-cli import PROFILE --yes`, which re-reads and verifies.
# Profile: latency-standard.json (IPv4: inline, 4 workers, large MTU off / IPv6: worker, 8 workers, large MTU on)
# Made by: Loopback Tuner 0.1.0, `loopback-tuner-cli deploy --for configmgr`
# Exit codes: 0 remediated; otherwise loopback-tuner-cli's own code (3 a value did not stick or netsh failed,
#   4 a build before 1809, 5 no administrator rights), or 1 when Loopback Tuner is not installed, with the reason
#   on the error stream.
# Run it as: PowerShell 5.1, as SYSTEM (already elevated: no UAC prompt).
# Undo: `loopback-tuner-cli restore original --yes` (as administrator) puts back the machine's original values,
#   or deploy a profile of the original values (export one from an untouched machine) the same way.

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

# Written by `loopback-tuner-cli deploy`: the profile is embedded, the CLI is found through the installer's
# uninstall key. Nothing below is edited by hand; run deploy again for another profile.
$UninstallKey = 'SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{B9445B8D-3C06-4460-A828-E72A3DC28068}_is1'
$CliName = 'loopback-tuner-cli.exe'
$ProfileName = 'latency-standard.json'
$ProfileJson = '{"format":"loopback-tuner-profile","version":1,"ipv4":{"execution_mode":"inline","worker_count":4,"large_mtu":false},"ipv6":{"execution_mode":"worker","worker_count":8,"large_mtu":true}}'

function Get-LoopbackTunerCli {
    # The 64-bit registry view: Intune runs scripts in 32-bit PowerShell by default, where HKLM\SOFTWARE is
    # redirected to WOW6432Node; the install folder is whatever the installer recorded (it can be changed).
    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey('LocalMachine', 'Registry64')
    try {
        $key = $base.OpenSubKey($UninstallKey)
        if ($null -eq $key) { return $null }
        try { $folder = [string]$key.GetValue('InstallLocation') } finally { $key.Close() }
    } finally {
        $base.Close()
    }
    if ([string]::IsNullOrWhiteSpace($folder)) { return $null }
    $cli = [System.IO.Path]::Combine($folder.Trim(), $CliName)
    if (-not [System.IO.File]::Exists($cli)) { return $null }
    return $cli
}

function New-ProfileFile {
    # A new file with a random name (CreateNew: never one that someone else prepared), removed after the run.
    $path = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'loopback-tuner-' + [guid]::NewGuid().ToString('N') + '.json')
    $bytes = [System.Text.Encoding]::ASCII.GetBytes($ProfileJson)
    $stream = New-Object System.IO.FileStream($path, [System.IO.FileMode]::CreateNew, [System.IO.FileAccess]::Write, [System.IO.FileShare]::None)
    try { $stream.Write($bytes, 0, $bytes.Length) } finally { $stream.Dispose() }
    return $path
}

function ConvertTo-OneLine([string]$Text) {
    return (($Text -replace '\s+', ' ').Trim())
}

function Invoke-LoopbackTunerCli([string]$Cli, [string[]]$Arguments) {
    # The CLI's exit code decides; its output is kept for the one line the tool shows. No shell is involved.
    foreach ($argument in $Arguments) {
        if ($argument.Contains('"')) { throw 'an argument holds a double quote' }
    }
    $info = New-Object System.Diagnostics.ProcessStartInfo
    $info.FileName = $Cli
    $info.Arguments = (($Arguments | ForEach-Object { '"' + $_ + '"' }) -join ' ')
    $info.UseShellExecute = $false
    $info.CreateNoWindow = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($info)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    $process.WaitForExit()
    return New-Object PSObject -Property @{
        ExitCode = $process.ExitCode
        Output   = ConvertTo-OneLine $stdout.Result
        Errors   = ConvertTo-OneLine $stderr.Result
    }
}

function Invoke-WithProfile([string]$Cli, [string[]]$Command) {
    # Runs `loopback-tuner-cli <Command> <profile file> [--yes]` on a temporary copy of the embedded profile.
    $profilePath = New-ProfileFile
    try {
        $arguments = @($Command[0], $profilePath) + @($Command | Select-Object -Skip 1)
        return Invoke-LoopbackTunerCli $Cli $arguments
    } finally {
        Remove-Item -LiteralPath $profilePath -Force -ErrorAction SilentlyContinue
    }
}


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

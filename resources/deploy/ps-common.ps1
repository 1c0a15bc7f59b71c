Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

# Written by `loopback-tuner-cli deploy`: the profile is embedded, the CLI is found through the installer's
# uninstall key. Nothing below is edited by hand; run deploy again for another profile.
$UninstallKey = '{{ps:UNINSTALL_KEY}}'
$CliName = '{{ps:CLI_EXE}}'
$ProfileName = '{{ps:PROFILE_NAME}}'
$ProfileJson = '{{ps:PROFILE_JSON}}'

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

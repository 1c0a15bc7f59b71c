<#
.SYNOPSIS
  Authenticode-sign files with signtool.exe; a no-op when no certificate is configured.

.DESCRIPTION
  Used twice by packaging/build.py on Windows:
    * on dist\loopback-tuner\loopback-tuner.exe and loopback-tuner-cli.exe after PyInstaller;
    * by Inno Setup as its Sign Tool (installer.iss SignTool=signtool) for Setup and the uninstaller.

  Configuration, all through environment variables (CI: repository secrets). Set one of the first
  two; with neither, signing is skipped and the script exits 0.
    SIGN_CERT_PATH        a .pfx file
    SIGN_CERT_THUMBPRINT  SHA-1 thumbprint of a certificate in the CurrentUser or LocalMachine "My" store
    SIGN_CERT_PASSWORD    the .pfx password (with SIGN_CERT_PATH)
    SIGN_TIMESTAMP_URL    RFC 3161 time-stamp server (default: http://timestamp.digicert.com)
    SIGNTOOL              full path of signtool.exe (default: PATH, then the newest Windows 10/11 SDK)

.EXAMPLE
  $env:SIGN_CERT_PATH = 'C:\secrets\codesign.pfx'; $env:SIGN_CERT_PASSWORD = '...'
  powershell -ExecutionPolicy Bypass -File packaging\sign.ps1 dist\loopback-tuner\loopback-tuner.exe
#>
param(
    [Parameter(Mandatory = $true, ValueFromRemainingArguments = $true)]
    [string[]] $Files
)

$ErrorActionPreference = 'Stop'

$certPath = $env:SIGN_CERT_PATH
$thumbprint = $env:SIGN_CERT_THUMBPRINT
if (-not $certPath -and -not $thumbprint) {
    Write-Host 'sign.ps1: no certificate configured (SIGN_CERT_PATH / SIGN_CERT_THUMBPRINT): signing skipped'
    exit 0
}

function Find-SignTool {
    if ($env:SIGNTOOL) {
        if (Test-Path -LiteralPath $env:SIGNTOOL) { return $env:SIGNTOOL }
        throw "SIGNTOOL points to '$env:SIGNTOOL', which does not exist"
    }
    $onPath = Get-Command signtool.exe -ErrorAction SilentlyContinue
    if ($onPath) { return $onPath.Source }
    $kits = Join-Path ${env:ProgramFiles(x86)} 'Windows Kits\10\bin'
    # Newest SDK first: bin\<10.0.x.y>\x64\signtool.exe, then the unversioned bin\x64\signtool.exe.
    $found = Get-ChildItem -Path $kits -Filter signtool.exe -Recurse -ErrorAction SilentlyContinue |
        Where-Object { $_.Directory.Name -eq 'x64' -and $_.Directory.Parent.Name -match '^\d+(\.\d+){3}$' } |
        Sort-Object { [version]$_.Directory.Parent.Name } -Descending |
        Select-Object -First 1
    if ($found) { return $found.FullName }
    $unversioned = Join-Path $kits 'x64\signtool.exe'
    if (Test-Path -LiteralPath $unversioned) { return $unversioned }
    throw 'signtool.exe not found: install the Windows SDK or set SIGNTOOL'
}

$signtool = Find-SignTool
$timestamp = if ($env:SIGN_TIMESTAMP_URL) { $env:SIGN_TIMESTAMP_URL } else { 'http://timestamp.digicert.com' }

$arguments = @('sign', '/fd', 'SHA256', '/td', 'SHA256', '/tr', $timestamp, '/d', 'Loopback Tuner')
if ($certPath) {
    if (-not (Test-Path -LiteralPath $certPath)) { throw "SIGN_CERT_PATH '$certPath' does not exist" }
    $arguments += @('/f', $certPath)
    if ($env:SIGN_CERT_PASSWORD) { $arguments += @('/p', $env:SIGN_CERT_PASSWORD) }
} else {
    $arguments += @('/sha1', $thumbprint)
}

foreach ($file in $Files) {
    Write-Host "sign.ps1: signing $file"
    & $signtool @arguments $file
    if ($LASTEXITCODE -ne 0) { throw "signtool sign failed for $file (exit code $LASTEXITCODE)" }
    & $signtool verify /pa /q $file
    if ($LASTEXITCODE -ne 0) { throw "signtool verify failed for $file (exit code $LASTEXITCODE)" }
}

#!/usr/bin/env bash
# Compiles and lints infra/ with the real Bicep CLI and fails on any error or warning (bicep itself exits 0 on
# warnings), and checks that infra/main.parameters.json names only parameters main.bicep declares (ARM refuses
# a deployment that passes an unknown one). The CLI comes from NuGet (package Azure.Bicep.CommandLine.linux-x64,
# restored by `dotnet restore` through a throwaway project) and is kept in .tools/ (git-ignored), so only the
# .NET SDK is needed. BICEP_VERSION picks another version.
set -euo pipefail
cd "$(dirname "$0")/.."

BICEP_VERSION="${BICEP_VERSION:-0.49.2}"
PACKAGE=azure.bicep.commandline.linux-x64
TOOLS="$PWD/.tools/bicep"
BICEP="$TOOLS/packages/$PACKAGE/$BICEP_VERSION/tools/bicep"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Bicep needs no culture data; without this it wants libicu, which a slim machine may lack.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="${DOTNET_SYSTEM_GLOBALIZATION_INVARIANT:-1}"

if [ ! -x "$BICEP" ]; then
  command -v dotnet >/dev/null || {
    echo "bicep-check: the .NET SDK (dotnet) is needed to fetch the Bicep CLI" >&2
    exit 1
  }
  echo "bicep-check: fetching the Bicep CLI $BICEP_VERSION from NuGet into .tools/bicep"
  project="$TOOLS/restore"
  mkdir -p "$project"
  # Any framework the installed SDK knows: PackageDownload only downloads, nothing is built.
  tfm="net$(dotnet --version | cut -d. -f1).0"
  cat >"$project/restore.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>$tfm</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="Azure.Bicep.CommandLine.linux-x64" Version="[$BICEP_VERSION]" />
  </ItemGroup>
</Project>
XML
  if ! dotnet restore "$project/restore.csproj" --packages "$TOOLS/packages" >"$TOOLS/restore.log" 2>&1; then
    cat "$TOOLS/restore.log" >&2
    echo "bicep-check: dotnet restore of Azure.Bicep.CommandLine.linux-x64 $BICEP_VERSION failed" >&2
    exit 1
  fi
  [ -f "$BICEP" ] || {
    echo "bicep-check: the package has no tools/bicep" >&2
    exit 1
  }
  chmod +x "$BICEP"
  # The extracted files are all that is run; the package archive would only double what .tools/ holds.
  rm -f "$TOOLS/packages/$PACKAGE/$BICEP_VERSION/"*.nupkg
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0

# Runs bicep with its stdout sent to $out and its diagnostics (stderr) kept, shown and judged: any line
# `path(line,col) : Error|Warning|Info code: text` fails the check, as does a non-zero exit.
run() {
  local out="$1" diagnostics
  shift
  if ! diagnostics="$("$BICEP" "$@" 2>&1 >"$out")"; then status=1; fi
  if grep -Eq ' : (Error|Warning|Info) ' <<<"$diagnostics"; then status=1; fi
  [ -z "$diagnostics" ] || printf '%s\n' "$diagnostics"
}

run "$work/main.json" build infra/main.bicep --stdout
run /dev/null lint infra/main.bicep

# Parameter names: the compiled template's (4-space keys under "parameters") against main.parameters.json's.
if [ -s "$work/main.json" ]; then
  declared="$(sed -n '/^  "parameters": {/,/^  }/p' "$work/main.json" | sed -nE 's/^    "([A-Za-z0-9_]+)": \{.*/\1/p')"
  passed="$(sed -nE 's/^    "([A-Za-z0-9_]+)": \{.*/\1/p' infra/main.parameters.json)"
  for name in $passed; do
    grep -qx "$name" <<<"$declared" || {
      echo "infra/main.parameters.json: parameter '$name' is not declared in infra/main.bicep" >&2
      status=1
    }
  done
fi

if [ "$status" -ne 0 ]; then
  echo "bicep-check: infra/ has errors or warnings (above)" >&2
  exit 1
fi
echo "bicep-check: infra/main.bicep builds and lints clean (bicep $BICEP_VERSION)"

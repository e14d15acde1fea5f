#!/usr/bin/env bash
# The .NET interop check (see README.md): builds devhost and the check, runs the interop app on devhost over
# a fresh Azurite, then reads and drives that task hub through the Durable Task Framework's Azure Storage
# provider. Prints PASS/FAIL per check and exits non-zero on any failure. NuGet packages and the build output
# go to the repo's git-ignored .tools/, so only the .NET SDK is needed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The check needs no culture data; without this .NET wants libicu, which a slim machine may lack.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="${DOTNET_SYSTEM_GLOBALIZATION_INVARIANT:-1}"
command -v dotnet >/dev/null || {
  echo "interop: the .NET SDK (dotnet) is needed" >&2
  exit 1
}

cd "$root"
if [ "${INTEROP_SKIP_BUILD:-}" != 1 ]; then
  echo "interop: building devhost"
  npm run --silent build --workspace @herald/devhost >/dev/null
fi

log="$root/.tools/interop/build.log"
mkdir -p "$(dirname "$log")"
echo "interop: restoring and building the .NET check"
if ! { dotnet restore "$here/DurableInterop.csproj" --packages "$root/.tools/nuget" &&
  dotnet build "$here/DurableInterop.csproj" --no-restore -c Release -nologo; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "interop: building the .NET check failed" >&2
  exit 1
fi
dll="$(find "$root/.tools/interop/bin/Release" -name DurableInterop.dll | head -n 1)"

# One devhost, and two instances over one storage, side by side (each its own Azurite); their reports follow in turn.
out="$root/.tools/interop"
node "$here/drive.mjs" "$dll" >"$out/one.log" 2>&1 &
one=$!
INTEROP_INSTANCES=2 node "$here/drive.mjs" "$dll" >"$out/two.log" 2>&1 &
two=$!
status=0
wait "$one" || status=1
wait "$two" || status=1
echo "interop: one devhost instance"
cat "$out/one.log"
echo "interop: two devhost instances over the same storage"
cat "$out/two.log"
exit "$status"

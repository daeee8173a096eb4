#!/usr/bin/env bash
# The dashboard's Machines page with 10,000 machines, measured in Debian's Chromium: time until the
# page is interactive, and the round trip of a name and a label filter. Usage: bench-ui.sh [machines]
set -euo pipefail
cd "$(dirname "$0")/../.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 RINGMASTER_BENCH=1
dotnet run --project tests/Browser.Tests/Bench -c Release -- "$@"

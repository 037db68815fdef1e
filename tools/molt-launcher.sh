#!/bin/sh
# The molt host tool's launcher: `make tools` copies it to build/host/molt,
# next to the built tool in build/host/bin. It finds the Molt tree from its
# own location (build/host/ -> the tree); MOLT_ROOT overrides.
here=$(cd "$(dirname "$0")" && pwd)
: "${MOLT_ROOT:=$(cd "$here/../.." && pwd)}"
export MOLT_ROOT
exec dotnet "$here/bin/molt.dll" "$@"

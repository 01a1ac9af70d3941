#!/usr/bin/env bash
# npm run engine:build: the real Pulumi CLI for the engine suite, built from Go
# modules (the module proxy serves github.com/pulumi/pulumi/pkg/v3; nothing is
# downloaded from get.pulumi.com or GitHub). Pinned by engine/pulumi-cli/go.mod
# and go.sum, cached outside the repository under a key made of them, reused
# while they do not change. Prints the CLI's path on stdout, progress on stderr.
set -euo pipefail
cd "$(dirname "$0")/../../engine/pulumi-cli"

version=$(sed -n 's|^require github.com/pulumi/pulumi/pkg/v3 \(v[0-9.]*\)$|\1|p' go.mod)
if [ -z "$version" ]; then
  echo "engine:build: engine/pulumi-cli/go.mod names no github.com/pulumi/pulumi/pkg/v3 version" >&2
  exit 1
fi
key=$(cat go.mod go.sum tools.go | sha256sum | cut -c1-16)
cache="${RETZIEN_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/retzien-engine}"
root="$cache/pulumi-$version-$key"
cli="$root/bin/pulumi"

if [ -x "$cli" ] && [ "$("$cli" version 2>/dev/null)" = "$version" ]; then
  echo "engine:build: the Pulumi CLI $version is built already ($root)" >&2
else
  # Go lives in /usr/local/go on this project's machines, not always on PATH.
  command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"
  command -v go >/dev/null || { echo "engine:build: needs Go (1.24 or later) with the Go module proxy" >&2; exit 1; }
  echo "engine:build: building the Pulumi CLI $version from Go modules (about 11 min cold on 2 cores, seconds warm)" >&2
  mkdir -p "$root/bin"
  # Without the version stamp `pulumi version` prints an empty line and the Automation API refuses the CLI.
  go build -mod=readonly -trimpath \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
    -o "$cli.partial" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  mv "$cli.partial" "$cli"
  built=$("$cli" version)
  if [ "$built" != "$version" ]; then
    echo "engine:build: the built CLI says it is \"$built\", expected $version" >&2
    exit 1
  fi
fi
echo "$root"

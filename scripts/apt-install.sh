#!/usr/bin/env bash
# Installs the Debian packages named as arguments, for a fresh machine: as root, or through sudo when
# it needs no password. Without either it says what is missing and leaves the failure to what needs it.
set -euo pipefail
[ $# -gt 0 ] || exit 0
if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo)
else
  echo "scripts/apt-install.sh: $* missing and cannot be installed without root" >&2
  exit 0
fi
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null

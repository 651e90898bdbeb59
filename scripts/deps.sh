#!/usr/bin/env bash
# Install the Debian packages needed to build and test Atrium.
#
# Idempotent: exits 0 quietly when everything is already installed.
# As root it installs what is missing; otherwise it prints the exact
# command to run and exits 1.
#
# usage: scripts/deps.sh [--with-peers]
#   --with-peers  also install the real peer servers used by the wider
#                 integration tests and benchmarks (reserved; empty for now)
set -euo pipefail

# Packages always needed, grouped by purpose.
PACKAGES=(
    # build
    build-essential cmake pkg-config clang libclang-rt-14-dev
    # libs
    libmicrohttpd-dev libgnutls28-dev libjansson-dev libsqlite3-dev libsodium-dev
    libcurl4-gnutls-dev libical-dev
    # tests
    libcmocka-dev python3 python3-jsonschema python3-aiosmtpd openssl
    khal khard todoman
)

# Real peers started by tests and benchmarks on loopback (dovecot,
# postgresql, ...); installed only with --with-peers. Empty for now.
PEER_PACKAGES=(
)

with_peers=0
for arg in "$@"; do
    case "$arg" in
        --with-peers) with_peers=1 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "deps.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

wanted=("${PACKAGES[@]}")
if [ "$with_peers" = 1 ]; then
    wanted+=("${PEER_PACKAGES[@]}")
fi

missing=()
for pkg in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing+=("$pkg")
    fi
done

[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing Debian packages: ${missing[*]}" >&2
    echo "run:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
    # The package lists may be stale or absent: refresh them and retry once.
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

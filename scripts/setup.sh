#!/usr/bin/env bash
# Installs what fit needs and is missing: the C libraries it links (libsqlite3, libpci, libnuma, and
# libcurl, which FoundationNetworking links when the Swift runtime is linked statically),
# pkg-config to find them, pciutils (pci.ids names), curl (the tests ask llama-server for /health with it), and a
# Swift toolchain when Debian/Ubuntu has one.
# Idempotent: installs nothing that is already there. Uses sudo when not root.
set -euo pipefail

# --test adds what the test suite needs beyond fit itself: headless Chromium (it renders the HTML
# reports) and a C++ toolchain (scripts/bench-tools.sh builds llama.cpp).
packages=(libsqlite3-dev libpci-dev libnuma-dev libcurl4-openssl-dev pciutils pkg-config curl)
if [ "${1:-}" = "--test" ]; then packages+=(chromium cmake g++ make python3-pip); fi
need=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
have_swift=1
command -v swift >/dev/null 2>&1 || have_swift=0

if [ ${#need[@]} -gt 0 ] || [ $have_swift = 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing ${need[*]:-} ${have_swift:+}; this script knows Debian and Ubuntu (apt-get) only" >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: need root or sudo to install ${need[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  echo "setup: installing ${need[*]:-(none)}${have_swift:+}" >&2
  $SUDO apt-get update -qq
  if [ $have_swift = 0 ] && apt-cache show swiftlang >/dev/null 2>&1; then need+=(swiftlang); fi
  if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "setup: no Swift toolchain (6.2 or newer) found and none in this system's packages; install one from https://www.swift.org/install/linux/ and run this again" >&2
  exit 1
fi

#!/usr/bin/env bash
# Installs what this machine lacks to build and test MLNet.StepDistill.
# Idempotent: on a machine that already has everything it changes nothing.
#
# TorchSharp 0.107 (libtorch 2.10) needs libstdc++ from GCC 13 or newer (symbol version GLIBCXX_3.4.32).
# Debian 12 ships GCC 12's. There we take libstdc++6 from Debian 13 (trixie) with a private apt source
# list, leaving the system's own apt configuration untouched. apt then also upgrades what libstdc++6 needs to
# stay consistent: libc6 and its siblings (libc-bin, locales, libc6-dev), the GCC runtime libraries
# (libgcc-s1, libgomp1, ...), dpkg, zstd and base-files (so /etc/os-release then names Debian 13). dotnet, git
# and the toolchain keep working; run it on a disposable machine or container if that is not acceptable.
set -euo pipefail

log() { printf '[install-prereqs] %s\n' "$*"; }

need_symbol="GLIBCXX_3.4.32"

find_libstdcxx() {
  local candidate
  for candidate in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib/aarch64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6 /usr/lib/libstdc++.so.6; do
    if [ -e "$candidate" ]; then printf '%s\n' "$candidate"; return 0; fi
  done
  ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 / {print $NF; exit}'
}

has_new_libstdcxx() {
  local lib
  lib=$(find_libstdcxx)
  [ -n "$lib" ] && grep -aq "$need_symbol" "$lib"
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v dotnet >/dev/null 2>&1; then
  log "the .NET 10 SDK is not on PATH: install it from https://dot.net (see README.md, Requirements)" >&2
  exit 1
fi

if [ "$(uname -s)" != "Linux" ]; then
  log "not Linux: nothing to install"
  exit 0
fi

if has_new_libstdcxx; then
  log "libstdc++ already provides $need_symbol: nothing to do"
  exit 0
fi

. /etc/os-release
if [ "${ID:-}" != "debian" ] || [ "${VERSION_ID:-}" != "12" ]; then
  log "libstdc++ lacks $need_symbol and this is ${PRETTY_NAME:-an unknown system}, not Debian 12." >&2
  log "Install libstdc++ from GCC 13 or newer with your package manager (Ubuntu 24.04 and Debian 13 already have it)." >&2
  exit 1
fi

log "Debian 12: libstdc++ lacks $need_symbol; installing libstdc++6 from Debian 13 (trixie)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir -p "$work/lists/partial"

uris="http://deb.debian.org/debian"
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  found=$(awk '/^URIs:/ {u=$2} /^Suites:/ && $0 ~ /(^| )bookworm( |$)/ {print u; exit}' /etc/apt/sources.list.d/debian.sources)
  [ -n "$found" ] && uris="$found"
fi

cat >"$work/trixie.sources" <<SOURCES
Types: deb
URIs: $uris
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

apt_opts=(-o "Dir::Etc::SourceList=$work/trixie.sources" -o "Dir::Etc::SourceParts=/dev/null" -o "Dir::State::Lists=$work/lists")
as_root apt-get "${apt_opts[@]}" update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends libstdc++6 >/dev/null

if has_new_libstdcxx; then
  log "libstdc++ now provides $need_symbol"
else
  log "libstdc++ still lacks $need_symbol after the install" >&2
  exit 1
fi

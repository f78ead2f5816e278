#!/usr/bin/env bash
# Installs what building and testing leafwatch needs on Debian or Ubuntu:
# the C libraries' -dev packages and pkg-config for the build, and the tools
# the tests and benchmarks compare against. Packages already present are
# skipped, so a second run changes nothing.
#
#   scripts/deps.sh build   libsystemd-dev, zlib1g-dev, pkg-config
#   scripts/deps.sh test    the above, plus python3-venv and the Python test packages
#   scripts/deps.sh bench   the above, plus hyperfine, goaccess, mawk and GNU time
set -euo pipefail

level=${1:-build}
packages=(libsystemd-dev zlib1g-dev pkg-config)
case "$level" in
  build) ;;
  test) packages+=(python3 python3-venv) ;;
  bench) packages+=(python3 python3-venv hyperfine goaccess mawk time) ;;
  *) echo "deps.sh: unknown level '$level'; expected build, test or bench" >&2; exit 64 ;;
esac

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    sudo=sudo
  else
    sudo=
  fi
  echo "deps.sh: installing ${missing[*]}"
  # Keep packages that ship services (goaccess does not, but apache2 and
  # others installed later may) from starting them on this machine.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod 755 /usr/sbin/policy-rc.d
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python packages for the tests live in a virtual environment inside the
# build folder, so the system's Python stays untouched.
if [[ $level != build ]]; then
  venv=.build/venv
  if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
  fi
  if ! "$venv/bin/python" -c 'import apachelogs' 2>/dev/null; then
    "$venv/bin/pip" install -q apachelogs
  fi
fi

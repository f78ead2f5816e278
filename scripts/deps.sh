#!/usr/bin/env bash
# Installs what building and testing leafwatch needs on Debian or Ubuntu:
# the C libraries' -dev packages and pkg-config for the build, and the tools
# the tests and benchmarks compare against. Packages already present are
# skipped, so a second run changes nothing.
#
#   scripts/deps.sh build   libsystemd-dev, zlib1g-dev, pkg-config
#   scripts/deps.sh test    the above, plus python3-venv, the Python test packages, and
#                           Apache, htpasswd, logrotate and curl for the daemon's tests
#   scripts/deps.sh bench   the above, plus hyperfine, goaccess, mawk and GNU time
set -euo pipefail

level=${1:-build}
packages=(libsystemd-dev zlib1g-dev pkg-config)
case "$level" in
  build) ;;
  test) packages+=(python3 python3-venv apache2 apache2-utils logrotate curl msmtp systemd-journal-remote) ;;
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
  # While installing, a policy-rc.d that exits 101 keeps packages from
  # starting services on this machine. It is removed again afterwards, so
  # that later upgrades of the machine's own services restart them as usual;
  # an existing policy-rc.d is left as it is.
  policy=/usr/sbin/policy-rc.d
  added_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    added_policy=1
    trap '$sudo rm -f "$policy"' EXIT
  fi
  $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if ((added_policy)); then
    $sudo rm -f "$policy"
    trap - EXIT
  fi
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
  if ! "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    "$venv/bin/pip" install -q aiosmtpd
  fi
fi

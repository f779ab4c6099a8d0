#!/usr/bin/env bash
# Installs every Debian 12 package agendad needs to build, run and test.
# Safe to re-run: it installs only what is missing, and keeps tzdata current
# because Morocco's 2026 change (permanent UTC+0 from 2026-09-20) only exists
# in recent tzdata.
set -euo pipefail
# One package per line, so that features add theirs without touching others.
BUILD_PKGS="
  build-essential cmake ninja-build pkg-config tzdata
  libuv1-dev
  libical-dev
  libsqlite3-dev
  libyaml-dev
  node-llhttp
  libcurl4-openssl-dev
  liburiparser-dev
  libssl-dev
  libgcrypt20-dev
  zlib1g-dev
  libsystemd-dev
  libicu-dev
  libjansson-dev
  libgmime-3.0-dev
"
# systemd: systemd-analyze and systemd-socket-activate (not run as PID 1);
# nginx: serves an export in a test, started and stopped by the test itself;
# python3-icu: test_propose dates the religious holidays on its own (PyICU);
# dpkg-dev, debhelper, lintian: test_package builds, checks and installs the
# Debian package (debian/control's Build-Depends are the packages above).
TEST_PKGS="
  libcmocka-dev
  python3 python3-icalendar python3-recurring-ical-events python3-aiosmtpd python3-icu
  curl sqlite3 faketime
  nodejs
  tidy chromium poppler-utils
  systemd nginx groff-base
  radicale apache2-utils
  clang libclang-rt-14-dev
  dpkg-dev debhelper lintian
"
want="$BUILD_PKGS"
[ "${1:-}" = "--test" ] && want="$BUILD_PKGS $TEST_PKGS"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
missing=()
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Packages with services (nginx) must not start them: tests start their own
# on loopback. policy-rc.d is Debian's switch for that, kept only meanwhile.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ${#missing[@]} -gt 0 ] && [ ! -e $policy ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy >/dev/null && $SUDO chmod 755 $policy
  own_policy=1
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ $own_policy = 1 ]; then $SUDO rm -f $policy; fi
# Some machines' nodejs already carries npm; Debian's npm would conflict there.
if [ "${1:-}" = "--test" ] && ! command -v npm >/dev/null; then
  $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
# tzdata: upgrade only this package, to the newest Debian offers.
$SUDO apt-get install -y -qq --only-upgrade tzdata >/dev/null
echo "deps: tzdata $(head -1 /usr/share/zoneinfo/tzdata.zi | sed 's/# version //')"

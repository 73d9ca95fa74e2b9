#!/usr/bin/env bash
# The one list of Debian packages `make demo`, `make test` and `.ci/run` need (Debian 12 and 13).
# Installs only what is missing; runs apt-get as root, or through sudo when not root.
#   deploy/setup/install-prerequisites.sh           install what is missing
#   deploy/setup/install-prerequisites.sh --list    print the packages it would install, and exit
set -euo pipefail

# A JDK, not only a JRE: the Avro interop test compiles a Java source file. Debian 12 has
# openjdk-17; Debian 13 has no openjdk-17, and its default-jdk-headless is openjdk-21.
# (`lgsp doctor` names the same package: lgsp/doctor.py jdk_package.)
jdk_package() {
  local policy
  policy="$(apt-cache policy openjdk-17-jdk-headless 2>/dev/null || true)"
  if grep -q 'Candidate: [0-9]' <<<"$policy"; then
    echo openjdk-17-jdk-headless
  else
    echo default-jdk-headless
  fi
}

missing=()
command -v make >/dev/null || missing+=(make)
command -v kcat >/dev/null || missing+=(kcat)
command -v javac >/dev/null || missing+=("$(jdk_package)")
command -v mvn >/dev/null || missing+=(maven)
# promtool checks the alert rules and dashboards; the prometheus server scrapes in a test
command -v promtool >/dev/null || missing+=(prometheus)
# systemd-analyze verifies the units of deploy/systemd
command -v systemd-analyze >/dev/null || missing+=(systemd)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
# the console's browser tests drive a headless chromium
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)

if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "${missing[@]}"
  exit 0
fi
if [ "${#missing[@]}" -eq 0 ]; then
  echo "all prerequisites are installed"
  exit 0
fi
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}"

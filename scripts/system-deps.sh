#!/usr/bin/env bash
# Installs the Debian packages the tests need, when they are missing and apt is usable.
# Idempotent and quick when everything is there; prints what it cannot do.
set -u
packages=(tmux dbus gnome-keyring libsecret-tools librsvg2-bin postgresql)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: apt-get not available; missing: ${missing[*]} (tests needing them skip and say so)"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "system-deps: not root; missing: ${missing[*]} (tests needing them skip and say so)"
    exit 0
  fi
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
  || { $sudo apt-get update -q >/dev/null 2>&1 \
       && $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; } \
  || echo "system-deps: could not install ${missing[*]} (tests needing them skip and say so)"
exit 0

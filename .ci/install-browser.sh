#!/bin/sh
# Installs Chromium (Debian package) for the headless-browser test of the HTML
# report (tests/integration/browser.rs), unless a Chromium is already present.
set -eu
for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
        echo "install-browser: $name already installed at $(command -v "$name")"
        exit 0
    fi
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
chromium --version

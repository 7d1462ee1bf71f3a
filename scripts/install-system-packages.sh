#!/usr/bin/env bash
# Install the Debian packages the test suite needs, when any is missing:
#   chromium         the browser the browser tests drive (tests/browser/)
#   poppler-utils    pdftoppm, which turns a PDF packet's first page into an image
#   fonts-noto-core  fonts for the PDF packets (Noto Serif, and Noto Naskh Arabic, which
#                    shapes Arabic) and for the pages in the browser
#   fonts-noto-cjk   Noto Sans and Serif CJK, for Chinese in the pages and the packets
#   fonts-dejavu-core  DejaVu Sans, for a signature stamp naming the signer in Arabic or Cyrillic
#   libharfbuzz-subset0  HarfBuzz's font subsetter: WeasyPrint embeds fonts much faster with it
#   qpdf             `qpdf --check`, which the tests run on every packet to prove it is a valid PDF
#   softhsm2         a software PKCS#11 token, for the tests of signing with a key on a token
# Quick and silent when everything is there; runs `apt-get update` only before an install.
set -euo pipefail

PACKAGES=(chromium poppler-utils fonts-noto-core fonts-noto-cjk fonts-dejavu-core libharfbuzz-subset0 qpdf softhsm2)

installed() {
    dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

missing=()
for package in "${PACKAGES[@]}"; do
    installed "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Install them as root, then run make again:" >&2
    echo "    apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

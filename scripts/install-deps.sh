#!/bin/bash
# Install the Debian 12 packages tbx needs to build, test and demo.
# Idempotent: does nothing (and touches no network) when all are present.
# Quiet unless something fails. Must run as root (or via sudo).
set -eu

PKGS="build-essential pkg-config libcurl4-openssl-dev libjson-c-dev
libarchive-dev uuid-dev libcmocka-dev podman runc docker-registry debootstrap
uidmap jq curl clang valgrind openssh-server openssh-client apache2-utils
man-db groff-base time strace libxml2-utils python3-html5lib chromium
fuse-overlayfs podman-toolbox distrobox dbus python3 python3-cryptography openssl rpm cpio attr
cron"

# one dpkg-query call for all (fast); packages it does not know are missing
# shellcheck disable=SC2086
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' $PKGS 2>/dev/null || true)
missing=""
for p in $PKGS; do
    case "$(printf '%s\n' "$installed" | awk -v p="$p" '$1 == p { print $2 }')" in
    installed) ;;
    *) missing="$missing $p" ;;
    esac
done
[ -n "$missing" ] || exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-deps: need root to install:$missing" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp "${TMPDIR:-/tmp}/install-deps.XXXXXX")
trap 'rm -f "$log"' EXIT

run() {
    if ! "$@" >>"$log" 2>&1; then
        echo "install-deps: failed: $*" >&2
        cat "$log" >&2
        exit 1
    fi
}

# shellcheck disable=SC2086
run $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086
run $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    -o Dpkg::Options::=--force-confdef \
    -o Dpkg::Options::=--force-confold $missing
exit 0

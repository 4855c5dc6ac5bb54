#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
#
# Builds (once) a Debian bookworm root filesystem for the bare test hosts and
# prints its path. The result is cached outside the clone, keyed by a hash of
# this script and the package list, so a changed recipe makes a new tree and
# an unchanged one is reused across runs and clones.
#   tests/support/bare-rootfs.sh bare      # minbase + systemd + sshd + sudo, no Python
#   tests/support/bare-rootfs.sh python    # the same plus python3 (Ansible's targets)
# Needs root, debootstrap and the Debian archive this machine's apt uses.
set -euo pipefail

flavour="${1:-bare}"
cache="${KILN_BARE_CACHE:-/var/cache/kiln-bare}"
suite=bookworm

base_pkgs="systemd,systemd-sysv,dbus,openssh-server,sudo"
case "$flavour" in
    bare) pkgs="$base_pkgs" ;;
    # python3-apt and python3-debian: Ansible's apt/apt_repository and
    # deb822_repository modules install them on first use otherwise, which
    # would make the oracle's first run differ from kiln's.
    python) pkgs="$base_pkgs,python3,python3-apt,python3-debian" ;;
    *)
        echo "unknown flavour '$flavour' (bare or python)" >&2
        exit 2
        ;;
esac

# The mirror this machine's apt already reaches (deb822 or one-line sources).
mirror="${KILN_DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
    mirror=$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
        | grep -oE 'https?://[^ ]+' | head -n1 || true)
    mirror="${mirror:-http://deb.debian.org/debian}"
fi

key=$( { cat "${BASH_SOURCE[0]}"; echo "$suite $pkgs"; } | sha256sum | cut -c1-16)
dir="$cache/$key"
rootfs="$dir/rootfs"
if [ -f "$dir/done" ]; then
    echo "$rootfs"
    exit 0
fi

mkdir -p "$cache"
# One builder at a time: parallel test binaries wait for the first one.
exec 9>"$cache/$key.lock"
flock 9
if [ -f "$dir/done" ]; then
    echo "$rootfs"
    exit 0
fi

work="$cache/$key.tmp"
rm -rf "$work"
mkdir -p "$work"
log="$cache/$key.log"
echo "building the $flavour test rootfs in $work (log: $log)" >&2
if ! debootstrap --variant=minbase --include="$pkgs" "$suite" "$work/rootfs" "$mirror" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    exit 1
fi

r="$work/rootfs"
# sshd's host keys and listen address come from a per-host drop-in; the keys
# the package generated would be shared by every host, so they go.
rm -f "$r"/etc/ssh/ssh_host_*
# The per-host directory /etc/kiln is bound here read-only at boot.
mkdir -p "$r/etc/kiln"
# debootstrap copied this machine's name and hosts file. The hosts get their
# names from `systemd-nspawn -M NAME`; at first boot a unit writes that name
# to /etc/hostname and /etc/hosts as Debian's installer would (sudo warns on
# every call when the host's own name does not resolve).
rm -f "$r/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n' >"$r/etc/hosts"
cat >"$r/etc/systemd/system/kiln-hostname.service" <<'UNIT'
[Unit]
Description=Record the container's name as the host name
DefaultDependencies=no
ConditionPathExists=!/etc/hostname
Before=sysinit.target

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'hostname > /etc/hostname && echo "127.0.1.1 $(hostname)" >> /etc/hosts'

[Install]
WantedBy=sysinit.target
UNIT
chroot "$r" systemctl enable kiln-hostname.service >/dev/null 2>&1
# Units that make no sense in a container sharing the machine's network, or
# that would wait for hardware, are masked so the system reaches `running`.
for unit in systemd-networkd-wait-online.service systemd-timesyncd.service \
    apt-daily.timer apt-daily-upgrade.timer e2scrub_reap.service e2scrub_all.timer \
    fstrim.timer getty@tty1.service console-getty.service; do
    ln -sf /dev/null "$r/etc/systemd/system/$unit"
done
# Test users: `kilnsudo` may sudo without a password, `kilnpw` with its
# password (also its SSH password). Root's password stays locked.
chroot "$r" useradd -m -s /bin/bash kilnsudo
chroot "$r" useradd -m -s /bin/bash kilnpw
echo 'kilnpw:kiln-Bare-pw1' | chroot "$r" chpasswd
echo 'kilnsudo:kiln-Bare-pw2' | chroot "$r" chpasswd
printf 'kilnsudo ALL=(ALL:ALL) NOPASSWD: ALL\nkilnpw ALL=(ALL:ALL) ALL\n' >"$r/etc/sudoers.d/kiln-test"
chmod 0440 "$r/etc/sudoers.d/kiln-test"
chroot "$r" visudo -cf /etc/sudoers.d/kiln-test >/dev/null
# The image's apt lists: the hosts install from the same archive without an
# `apt-get update` of their own first (a host may still run one).
chroot "$r" apt-get update -qq >>"$log" 2>&1 || true
chroot "$r" apt-get clean
printf '%s\n' "$suite $pkgs" >"$work/packages"
touch "$work/done"
rm -rf "$dir"
mv "$work" "$dir"
echo "$rootfs"

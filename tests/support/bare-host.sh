#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
#
# Boots one disposable test host from a rootfs made by bare-rootfs.sh, and
# stops it again when its standard input closes. Shared by the Rust tests
# (tests/support/nspawn.rs) and the oracle recorder (tests/oracle), so both
# get identical hosts.
#   bare-host.sh ROOTFS NAME ADDRESS PORT CLIENT_KEY DIR
# It writes into DIR (which it owns and removes when done):
#   etc-kiln/   bound read-only at /etc/kiln: host key, authorized_keys, sshd drop-in
#   known_hosts the host's line for a strict known_hosts file
# then prints one line on stdout: `ready` once systemd reports `running` and
# sshd answers with the client key, or `failed: WHY` (and stops the host).
# After `ready` it waits for end of input (the caller closed the pipe or
# exited, even by a crash), then SIGTERMs systemd-nspawn and waits for the
# container's shutdown. Every write inside the host is on a tmpfs overlay
# and is discarded. A reboot inside the host (nspawn exits 133) boots it
# again, so reboot tests see a new boot_id on the same address.
# With KILN_BARE_SYSCTL=writable, a few kernel parameters that the kernel
# keeps per IPC or UTS namespace become writable inside the host (see
# writable_sysctls below); every other one stays read-only, as nspawn
# mounts /proc/sys.
set -u

rootfs=$1 name=$2 addr=$3 port=$4 key=$5 dir=$6
etc="$dir/etc-kiln"
boot_timeout=${KILN_BARE_BOOT_TIMEOUT:-180}

mkdir -p "$etc"
ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$etc/ssh_host_ed25519_key" </dev/null
cp "$key.pub" "$etc/authorized_keys"
chmod 0644 "$etc/authorized_keys"
# Debian's sshd_config includes sshd_config.d/*.conf first, and sshd keeps
# the first value it reads, so these lines win.
cat >"$etc/sshd.conf" <<EOF
ListenAddress $addr:$port
HostKey /etc/kiln/ssh_host_ed25519_key
AuthorizedKeysFile .ssh/authorized_keys /etc/kiln/authorized_keys
PasswordAuthentication yes
KbdInteractiveAuthentication yes
PermitRootLogin prohibit-password
MaxStartups 100
MaxSessions 20
EOF
echo "[$addr]:$port $(cut -d' ' -f1,2 "$etc/ssh_host_ed25519_key.pub")" >"$dir/known_hosts"

# Each host gets its own cgroup. Without systemd on this machine every
# nspawn would stay in the caller's cgroup, and the containers' systemd
# instances would make their units' cgroups in the same place: two hosts
# starting the same unit at once then fail with 219/CGROUP.
cgroup_dirs=()
own_cgroup() {
    local leaf="kiln-bare/$name-$$" h
    for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
        # A hierarchy is one with a cgroup.procs file at its root.
        [ -f "$h/cgroup.procs" ] || continue
        if mkdir -p "$h/$leaf" 2>/dev/null && echo "$BASHPID" >"$h/$leaf/cgroup.procs" 2>/dev/null; then
            cgroup_dirs+=("$h/$leaf")
        fi
    done
}

remove_cgroups() {
    local h
    for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
        [ -d "$h/kiln-bare/$name-$$" ] || continue
        find "$h/kiln-bare/$name-$$" -depth -type d -exec rmdir {} + 2>/dev/null
    done
}

boot() {
    own_cgroup
    while :; do
        # SYSTEMD_NSPAWN_LOCK=0: several hosts boot from the same read-only
        # tree; without it the second one would find the image locked.
        SYSTEMD_NSPAWN_LOCK=0 systemd-nspawn --quiet --boot --volatile=overlay \
            --register=no --keep-unit --console=read-only -M "$name" -D "$rootfs" \
            --bind-ro="$etc:/etc/kiln" \
            --bind-ro="$etc/sshd.conf:/etc/ssh/sshd_config.d/kiln.conf" \
            </dev/null >>"$dir/console.log" 2>&1 &
        echo $! >"$dir/nspawn.pid"
        wait $!
        rc=$?
        if [ "$rc" -ne 133 ] || [ -e "$dir/stopping" ]; then
            return "$rc"
        fi
    done
}

stop() {
    touch "$dir/stopping"
    if [ -s "$dir/nspawn.pid" ]; then
        kill -TERM "$(cat "$dir/nspawn.pid")" 2>/dev/null
    fi
    # nspawn turns SIGTERM into a clean shutdown of the container; give it
    # time, then make sure.
    for _ in $(seq 1 300); do
        kill -0 "$runner" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$runner" 2>/dev/null && [ -s "$dir/nspawn.pid" ]; then
        kill -KILL "$(cat "$dir/nspawn.pid")" 2>/dev/null
    fi
    wait "$runner" 2>/dev/null
    remove_cgroups
    rm -rf "$dir"
}

boot &
runner=$!

ssh_opts=(-q -i "$key" -p "$port" -o BatchMode=yes -o ConnectTimeout=2
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$dir/known_hosts"
    -o IdentitiesOnly=yes -o LogLevel=ERROR)
deadline=$((SECONDS + boot_timeout))
state=""
while [ $SECONDS -lt $deadline ]; do
    if ! kill -0 "$runner" 2>/dev/null; then
        echo "failed: systemd-nspawn exited: $(tail -n 20 "$dir/console.log" | tr '\n' '|')"
        stop
        exit 1
    fi
    # --wait blocks until start-up is over, then names the state.
    state=$(timeout 120 ssh "${ssh_opts[@]}" "root@$addr" systemctl is-system-running --wait 2>/dev/null)
    case "$state" in
        running) break ;;
        "") sleep 0.3 ;;
        *)
            failed=$(ssh "${ssh_opts[@]}" "root@$addr" 'systemctl --failed --no-legend --plain; for u in $(systemctl --failed --no-legend --plain | cut -d" " -f1); do journalctl -b -u "$u" --no-pager -n 8 -o cat; done' 2>&1 | tr '\n' '|')
            echo "failed: $name is $state: $failed"
            stop
            exit 1
            ;;
    esac
done
if [ "$state" != running ]; then
    echo "failed: $name not running after ${boot_timeout}s: $(tail -n 20 "$dir/console.log" | tr '\n' '|')"
    stop
    exit 1
fi

# The kernel keeps these per IPC namespace (kernel.msg*, kernel.shm*,
# kernel.sem) or per UTS namespace (kernel.domainname), and nspawn gives
# every host its own of both: a write inside the host cannot reach the
# build machine. The host has the build machine's network namespace (its
# sshd listens on a loopback address), so no net.* key may be here; nor
# any global key (vm.*, fs.*, the rest of kernel.*). Only these files are
# bound writable over themselves, inside the host's mount namespace, and
# only after the host shows namespaces of its own.
writable_sysctls() {
    ssh "${ssh_opts[@]}" "root@$addr" sh -s -- \
        "$(readlink /proc/self/ns/ipc)" "$(readlink /proc/self/ns/uts)" <<'EOS'
set -e
if [ "$(readlink /proc/self/ns/ipc)" = "$1" ] || [ "$(readlink /proc/self/ns/uts)" = "$2" ]; then
    echo "the host shares the build machine's IPC or UTS namespace"
    exit 1
fi
for k in msgmax msgmnb msgmni shmmax shmall shmmni sem domainname; do
    f=/proc/sys/kernel/$k
    mount --bind "$f" "$f"
    mount -o remount,bind,rw "$f"
done
EOS
}
if [ "${KILN_BARE_SYSCTL:-}" = writable ]; then
    if ! why=$(writable_sysctls 2>&1); then
        echo "failed: writable sysctls on $name: $(echo "$why" | tr '\n' '|')"
        stop
        exit 1
    fi
fi
echo ready

# Until the caller closes our input.
while read -r _; do :; done
stop

# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The kiln contributors
# kiln's fact gatherer: one POSIX sh run on the managed host, no Python needed.
#
# It only *collects raw data* (file contents, directory listings, tool output)
# and prints it as sections; all parsing and every decision about fact names
# and shapes happens on the controller (src/modules/setup/*.rs), where it is
# unit-tested with fixture text. Keeping the host side dumb keeps it portable
# (dash, busybox ash, bash) and safe under `set -u`: every probe is guarded, a
# missing tool or file only means its section is absent.
#
# Usage: sh -c "$script" kiln-facts MARKER 'COLLECTORS' FACT_PATH TIMEOUT
#   MARKER      random token; each section starts with "\n<MARKER> <name>\n"
#   COLLECTORS  space separated collector names (Ansible's: platform, hardware...)
#   FACT_PATH   directory of local *.fact files
#   TIMEOUT     seconds allowed for each slow probe (statvfs of a mount)
set -u
M=$1
C=" $2 "
FP=$3
TO=$4

# Section header. Content follows verbatim until the next header.
S() { printf '\n%s %s\n' "$M" "$*"; }
# Whether a collector was asked for.
has() { case "$C" in *" $1 "*) return 0 ;; esac; return 1; }

# The environment a program started by this shell sees (`cat`'s own, taken
# before the script exports anything; /proc/self, not /proc/$$, because the
# shell may live in a PID namespace that /proc does not show).
S env0
if [ -r /proc/self/environ ]; then
    cat /proc/self/environ 2>/dev/null
else
    env 2>/dev/null | tr '\n' '\000'
fi

# Parsing must not depend on the remote locale.
LC_ALL=C
export LC_ALL
unset LANGUAGE 2>/dev/null || true

# File probes. R: first line of each readable file (single-value sysfs and
# /proc files, read with the builtin: no fork). F: whole content.
R() {
    for __p in "$@"; do
        if [ -r "$__p" ] && [ ! -d "$__p" ]; then
            __v=
            IFS= read -r __v <"$__p" 2>/dev/null
            if [ -n "$__v" ]; then
                S "f $__p"
                printf '%s\n' "$__v"
            fi
        fi
    done
}
F() {
    for __p in "$@"; do
        if [ -r "$__p" ] && [ ! -d "$__p" ]; then
            S "f $__p"
            cat "$__p" 2>/dev/null
        fi
    done
}
# T: file tests, one "flags path" line per path (e exists, f file, d dir,
# l symlink, s non-empty, r readable, x executable; "-" for none).
T() {
    for __p in "$@"; do
        __f=
        [ -e "$__p" ] && __f=${__f}e
        [ -f "$__p" ] && __f=${__f}f
        [ -d "$__p" ] && __f=${__f}d
        [ -L "$__p" ] && __f=${__f}l
        [ -s "$__p" ] && __f=${__f}s
        [ -r "$__p" ] && __f=${__f}r
        [ -x "$__p" ] && __f=${__f}x
        printf '%s %s\n' "${__f:--}" "$__p"
    done
}
# L DIR: directory entries in the order the kernel lists them (like Python's
# os.listdir), without . and ..
L() {
    S "l $1"
    ls -f "$1" 2>/dev/null | while IFS= read -r __e; do
        case "$__e" in . | ..) ;; *) printf '%s\n' "$__e" ;; esac
    done
}
# K DIR: symlinks of a directory as "name -> target" (ls -l).
K() {
    if [ -d "$1" ]; then
        S "k $1"
        ls -l "$1" 2>/dev/null
    fi
}
# X NAME CMD...: a command's stdout, then its exit status as its own section.
X() {
    __n=$1
    shift
    S "c $__n"
    "$@" 2>/dev/null </dev/null
    __r=$?
    S "rc $__n $__r"
    return $__r
}

# Tools, found as Ansible's get_bin_path finds them: PATH, then the sbin dirs.
B() {
    _b=
    _ifs=$IFS
    IFS=:
    set -f
    for _d in ${PATH-} /sbin /usr/sbin /usr/local/sbin; do
        [ -n "$_d" ] || continue
        if [ -f "$_d/$1" ] && [ -x "$_d/$1" ]; then
            _b=$_d/$1
            break
        fi
    done
    set +f
    IFS=$_ifs
    [ -n "$_b" ]
}
S bins
for _t in lsb_release capsh systemctl initctl ip ethtool lspci lsblk findmnt \
    udevadm vgs lvs pvs dmsetup dmidecode sg_inq nproc facter cfacter ohai \
    getent stat timeout python3 rpm dpkg ps uname date id lscpu readlink; do
    if B "$_t"; then
        printf '%s %s\n' "$_t" "$_b"
        eval "b_$_t=\$_b"
    else
        eval "b_$_t="
    fi
done
# Run a tool under the gather timeout when `timeout` exists.
TM() {
    if [ -n "$b_timeout" ]; then
        "$b_timeout" "$TO" "$@"
    else
        "$@"
    fi
}

S id
if [ -r /proc/self/status ]; then
    while IFS= read -r _l; do
        case "$_l" in Uid:* | Gid:*) printf '%s\n' "$_l" ;; esac
    done </proc/self/status
elif [ -n "$b_id" ]; then
    printf 'Uid:\t%s\t%s\n' "$("$b_id" -ru)" "$("$b_id" -u)"
    printf 'Gid:\t%s\t%s\n' "$("$b_id" -rg)" "$("$b_id" -g)"
fi

if has platform; then
    R /proc/sys/kernel/ostype /proc/sys/kernel/osrelease /proc/sys/kernel/version \
        /proc/sys/kernel/hostname
    if [ -n "$b_uname" ]; then
        X uname_m "$b_uname" -m
        [ -r /proc/sys/kernel/ostype ] || {
            X uname_s "$b_uname" -s
            X uname_r "$b_uname" -r
            X uname_v "$b_uname" -v
            X uname_n "$b_uname" -n
        }
    fi
    if [ -r /proc/sys/kernel/hostname ]; then
        IFS= read -r _host </proc/sys/kernel/hostname
    elif [ -n "$b_uname" ]; then
        _host=$("$b_uname" -n)
    else
        _host=
    fi
    # socket.getfqdn(): forward lookup of the host name, then the reverse
    # lookup of its first address.
    if [ -n "$b_getent" ] && [ -n "$_host" ]; then
        _a=$("$b_getent" ahosts "$_host" 2>/dev/null | { read -r _x _y && printf '%s' "$_x"; })
        if [ -n "$_a" ]; then
            X fqdn_rev "$b_getent" hosts "$_a"
        fi
    fi
    F /var/lib/dbus/machine-id /etc/machine-id
    if [ -z "$b_python3" ] && [ -x /usr/bin/getconf ]; then
        X long_bit /usr/bin/getconf LONG_BIT
    fi
fi

if has distribution || has lsb; then
    if [ -n "$b_lsb_release" ]; then
        X lsb_release "$b_lsb_release" -a
    fi
    F /etc/lsb-release
fi

if has distribution; then
    S t
    T /etc/os-release /usr/lib/os-release /etc/altlinux-release /etc/oracle-release \
        /etc/slackware-version /etc/centos-release /etc/redhat-release /etc/vmware-release \
        /etc/openwrt_release /etc/system-release /etc/alpine-release /etc/arch-release \
        /etc/SuSE-release /etc/gentoo-release /etc/lsb-release /etc/sourcemage-release \
        /etc/coreos/update.conf /etc/products.d/baseproduct
    F /etc/os-release /usr/lib/os-release /etc/altlinux-release /etc/oracle-release \
        /etc/slackware-version /etc/centos-release /etc/redhat-release \
        /etc/openwrt_release /etc/system-release /etc/alpine-release \
        /etc/SuSE-release /etc/gentoo-release /etc/sourcemage-release \
        /etc/coreos/update.conf /etc/debian_version
    if [ -L /etc/products.d/baseproduct ] && [ -n "$b_readlink" ]; then
        X baseproduct "$b_readlink" -f /etc/products.d/baseproduct
    fi
    # distro's "distro release file": the first line of /etc/*-release etc.
    S distro_release_files
    for _p in /etc/*-release /etc/*_release /etc/*-version /etc/*_version; do
        if [ -f "$_p" ]; then
            _v=
            IFS= read -r _v <"$_p" 2>/dev/null
            printf '%s\t%s\n' "${_p#/etc/}" "$_v"
        fi
    done
    # Debian without a code name anywhere: Ansible asks dpkg. Only
    # os-release's code name settles it here; whether lsb_release or a
    # release file named one is the controller's call.
    if [ -n "$b_dpkg" ]; then
        _osr=
        [ -r /etc/os-release ] && _osr=$(cat /etc/os-release 2>/dev/null)
        case "$_osr" in
        *VERSION_CODENAME=* | *UBUNTU_CODENAME=*) ;;
        *) X tzdata "$b_dpkg" --status tzdata ;;
        esac
    fi
fi

if has selinux; then
    S t
    T /sys/fs/selinux/enforce /lib/*/libselinux.so.1 /lib64/libselinux.so.1 \
        /lib/libselinux.so.1 /usr/lib/*/libselinux.so.1 /usr/lib64/libselinux.so.1 \
        /usr/lib/libselinux.so.1
    R /sys/fs/selinux/enforce /sys/fs/selinux/policyvers
    F /etc/selinux/config
fi

if has apparmor; then
    S t
    T /sys/kernel/security/apparmor
fi

if has chroot; then
    if [ -n "$b_stat" ]; then
        X root_stat "$b_stat" -L -c '%d %i' / /proc/1/root/.
        X root_fstype "$b_stat" -f --format=%T /
    else
        X root_ls ls -di /
    fi
fi

if has fips; then
    R /proc/sys/crypto/fips_enabled
fi

if has python || has platform; then
    _py=
    if [ -x /usr/bin/python3 ]; then _py=/usr/bin/python3; else _py=$b_python3; fi
    if [ -n "$_py" ]; then
        X python "$_py" -c '
import sys, json, platform
d = {"version_info": list(sys.version_info), "executable": sys.executable,
     "python_version": platform.python_version(), "bits": platform.architecture()[0]}
try:
    d["type"] = sys.implementation.name
except AttributeError:
    d["type"] = None
try:
    from ssl import create_default_context, SSLContext
    d["has_sslcontext"] = True
except ImportError:
    d["has_sslcontext"] = False
print(json.dumps(d))
'
    fi
fi

if has caps && [ -n "$b_capsh" ]; then
    X capsh "$b_capsh" --print
fi

if has pkg_mgr; then
    S t
    T /usr/bin/rpm-ostree /usr/bin/yum /usr/bin/dnf-3 /usr/bin/dnf5 /usr/bin/apt-get \
        /usr/bin/zypper /usr/sbin/urpmi /usr/bin/pacman /bin/opkg /usr/pkg/bin/pkgin \
        /opt/local/bin/pkgin /opt/tools/bin/pkgin /opt/local/bin/port /usr/local/bin/brew \
        /opt/homebrew/bin/brew /sbin/apk /usr/sbin/pkg /usr/sbin/swlist /usr/bin/emerge \
        /usr/sbin/pkgadd /usr/bin/pkg /usr/bin/xbps-install /usr/local/sbin/pkg \
        /usr/bin/swupd /usr/sbin/sorcery /usr/bin/installp /run/ostree-booted \
        /usr/bin/dnf /usr/bin/microdnf /usr/bin/rpm
    if [ -n "$b_readlink" ]; then
        [ -e /usr/bin/dnf ] && X realpath_dnf "$b_readlink" -f /usr/bin/dnf
        [ -e /usr/bin/microdnf ] && X realpath_microdnf "$b_readlink" -f /usr/bin/microdnf
    fi
    if [ -e /usr/bin/rpm ] && [ -e /usr/bin/apt-get ]; then
        X rpm_apt /usr/bin/rpm -q --whatprovides /usr/bin/apt-get
    fi
fi

if has service_mgr || has systemd; then
    S t
    T /proc/1/comm /sbin/init /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/ \
        /etc/init/ /sbin/openrc /etc/init.d/ /etc/dinit.d/
    F /proc/1/comm
    if [ ! -r /proc/1/comm ] && [ -n "$b_ps" ]; then
        S c ps1
        "$b_ps" -p 1 -o comm 2>/dev/null | tail -n 1
        S "rc ps1 $?"
    fi
    if [ -L /sbin/init ] && [ -n "$b_readlink" ]; then
        X sbin_init "$b_readlink" /sbin/init
    fi
    if has systemd && [ -n "$b_systemctl" ]; then
        if [ -e /run/systemd/system/ ] || [ -e /dev/.run/systemd/ ] || [ -e /dev/.systemd/ ]; then
            X systemctl_version "$b_systemctl" --version
        fi
    fi
fi

if has cmdline; then
    F /proc/cmdline
fi

if has date_time; then
    if [ -n "$b_date" ]; then
        X date "$b_date" '+%s|%N|%Y|%m|%A|%w|%W|%d|%H|%M|%S|%Z|%z'
        _y=$("$b_date" +%Y)
        X date_jan "$b_date" -d "$_y-01-01 12:00" '+%Z|%z'
        X date_jul "$b_date" -d "$_y-07-01 12:00" '+%Z|%z'
    fi
fi

if has loadavg; then
    R /proc/loadavg
fi

if has ssh_pub_keys; then
    for _d in /etc/ssh /etc/openssh /etc; do
        R $_d/ssh_host_dsa_key.pub $_d/ssh_host_rsa_key.pub $_d/ssh_host_ecdsa_key.pub \
            $_d/ssh_host_ed25519_key.pub
    done
fi

if has user; then
    _u=${LOGNAME:-${USER:-${LNAME:-${USERNAME:-}}}}
    S user_name
    printf '%s\n' "$_u"
    if [ -n "$b_getent" ]; then
        [ -n "$_u" ] && X pw_name "$b_getent" passwd "$_u"
        X pw_uid "$b_getent" passwd "$(
            while IFS= read -r _l; do
                case "$_l" in Uid:*) set -- $_l; printf '%s' "$2"; break ;; esac
            done </proc/self/status 2>/dev/null
        )"
    fi
    F /etc/passwd
fi

if has virtual; then
    S t
    T /proc/1/cgroup /proc/1/environ /proc/vz /proc/lve /proc/bc /.dockerenv /.dockerinit \
        /proc/xen /proc/self/status /proc/cpuinfo /proc/modules /rhev/ /dev/kvm
    F /proc/1/cgroup /proc/xen/capabilities /proc/modules
    R /run/systemd/container /sys/devices/virtual/dmi/id/product_name \
        /sys/devices/virtual/dmi/id/sys_vendor /sys/devices/virtual/dmi/id/product_family \
        /sys/devices/virtual/dmi/id/bios_vendor
    if [ -r /proc/1/environ ]; then
        S f /proc/1/environ
        cat /proc/1/environ 2>/dev/null
    fi
    S vxid
    while IFS= read -r _l; do
        case "$_l" in VxID:*) printf '%s\n' "$_l" ;; esac
    done </proc/self/status 2>/dev/null
    if [ -d /rhev/ ]; then
        S rhev_comms
        for _p in /proc/[0-9]*/comm; do
            IFS= read -r _v <"$_p" 2>/dev/null && printf '%s\n' "$_v"
        done
    fi
    if [ -n "$b_dmidecode" ]; then
        X dmi_system-product-name "$b_dmidecode" -s system-product-name
    fi
    # On s390 Ansible names the hypervisor from lscpu's "Hypervisor:" line.
    if [ -n "$b_lscpu" ] && [ -r /proc/cpuinfo ] &&
        grep -q '^vendor_id.*IBM/S390' /proc/cpuinfo 2>/dev/null; then
        X lscpu "$b_lscpu"
    fi
fi

if has virtual || has hardware; then
    F /proc/cpuinfo
fi

if has hardware; then
    S t
    T /proc/xen /proc/meminfo /proc/cpuinfo /sys/devices/virtual/dmi/id/product_name \
        /proc/sysinfo /etc/mtab /dev/disk/by-id /dev/disk/by-uuid /dev/disk/by-label /sys/block
    R /sys/hypervisor/type
    F /proc/meminfo /proc/sysinfo /proc/uptime
    if [ -n "$b_nproc" ]; then
        X nproc "$b_nproc"
    fi
    # DMI: sysfs first, dmidecode only when the kernel does not export it.
    _dmi=/sys/devices/virtual/dmi/id
    if [ -e $_dmi/product_name ]; then
        for _k in bios_date bios_vendor bios_version board_asset_tag board_name board_serial \
            board_vendor board_version chassis_asset_tag chassis_serial chassis_vendor \
            chassis_version chassis_type product_name product_serial product_uuid \
            product_version sys_vendor; do
            F $_dmi/$_k
        done
    elif [ -n "$b_dmidecode" ]; then
        for _k in bios-release-date bios-vendor bios-version baseboard-asset-tag \
            baseboard-product-name baseboard-serial-number baseboard-manufacturer \
            baseboard-version chassis-asset-tag chassis-serial-number chassis-manufacturer \
            chassis-version chassis-type system-product-name system-serial-number \
            system-uuid system-version system-manufacturer; do
            X "dmi_$_k" "$b_dmidecode" -s "$_k"
        done
    fi
    # Block devices.
    if [ -n "$b_lspci" ]; then
        X lspci "$b_lspci" -D
    fi
    L /sys/block
    K /sys/block
    K /dev/disk/by-id
    K /dev/disk/by-uuid
    K /dev/disk/by-label
    S masters
    for _p in /sys/block/*/slaves/*; do
        [ -e "$_p" ] || [ -L "$_p" ] && printf '%s\n' "$_p"
    done
    for _blk in /sys/block/*; do
        [ -e "$_blk" ] || continue
        _n=${_blk##*/}
        L "$_blk"
        R "$_blk/device/vendor" "$_blk/device/model" "$_blk/device/sas_address" \
            "$_blk/device/sas_device_handle" "$_blk/device/serial" "$_blk/removable" \
            "$_blk/queue/discard_max_hw_bytes" "$_blk/queue/discard_granularity" \
            "$_blk/queue/rotational" "$_blk/queue/scheduler" "$_blk/queue/logical_block_size" \
            "$_blk/queue/hw_sector_size" "$_blk/size"
        if [ -n "$b_sg_inq" ]; then
            X "sg_inq $_n" "$b_sg_inq" "/dev/$_n"
        fi
        for _h in "$_blk"/holders/dm-*; do
            [ -e "$_h" ] && R "$_h/dm/name"
        done
        L "$_blk/holders"
        for _part in "$_blk/$_n"*; do
            [ -d "$_part" ] || continue
            R "$_part/start" "$_part/queue/logical_block_size" "$_part/queue/hw_sector_size" \
                "$_part/size"
            L "$_part/holders"
            for _h in "$_part"/holders/dm-*; do
                [ -e "$_h" ] && R "$_h/dm/name"
            done
        done
    done
    # Mounts.
    _mtab=/etc/mtab
    [ -e $_mtab ] || _mtab=/proc/mounts
    S mtab
    cat $_mtab 2>/dev/null
    if [ -n "$b_findmnt" ]; then
        X findmnt "$b_findmnt" --list --noheadings --notruncate
    fi
    if [ -n "$b_lsblk" ]; then
        X lsblk "$b_lsblk" --list --noheadings --paths --output NAME,UUID --exclude 2
    fi
    S mountsizes
    _i=0
    while read -r _dev _mnt _fs _opts _rest; do
        _i=$((_i + 1))
        case "$_fs" in none) continue ;; esac
        case "$_dev" in /* | \\* | *:/*) ;; *) continue ;; esac
        case "$_mnt" in
        *\\*) _mnt=$(printf '%s' "$_mnt" | sed 's/\\\([0-7][0-7][0-7]\)/\\0\1/g') && _mnt=$(printf '%b.' "$_mnt") && _mnt=${_mnt%.} ;;
        esac
        if [ -n "$b_stat" ]; then
            _s=$(TM "$b_stat" -f -c '%S %s %b %a %c %d' "$_mnt" 2>/dev/null </dev/null)
            printf '%s %s\n' "$_i" "$_s"
        fi
    done <$_mtab
    if [ -n "$b_udevadm" ]; then
        while read -r _dev _mnt _fs _rest; do
            case "$_fs" in none) continue ;; esac
            case "$_dev" in /* | \\* | *:/*) ;; *) continue ;; esac
            X "udevadm $_dev" "$b_udevadm" info --query property --name "$_dev"
        done <$_mtab
    fi
    # LVM, only as root (as Ansible).
    if [ -n "$b_vgs" ] && [ "$(
        while IFS= read -r _l; do
            case "$_l" in Uid:*) set -- $_l; printf '%s' "$2"; break ;; esac
        done </proc/self/status 2>/dev/null
    )" = 0 ]; then
        X vgs "$b_vgs" --noheadings --nosuffix --units g --separator ,
        [ -n "$b_lvs" ] && X lvs "$b_lvs" --noheadings --nosuffix --units g --separator ,
        if [ -n "$b_pvs" ]; then
            X pvs "$b_pvs" --noheadings --nosuffix --units g --separator ,
            if [ -n "$b_dmsetup" ]; then
                "$b_pvs" --noheadings --nosuffix --units g --separator , 2>/dev/null |
                    while IFS=, read -r _pv _rest; do
                        _pv=${_pv#"${_pv%%[! ]*}"}
                        case "$_pv" in
                        /dev/dm-*) X "dm $_pv" "$b_dmsetup" info -C --noheadings -o name "$_pv" ;;
                        esac
                    done
            fi
        fi
    fi
fi

if has dns; then
    F /etc/resolv.conf
fi

if has fibre_channel_wwn; then
    for _p in /sys/class/fc_host/*/port_name; do
        [ -e "$_p" ] && F "$_p"
    done
fi

if has iscsi; then
    F /etc/iscsi/initiatorname.iscsi
fi

if has nvme; then
    F /etc/nvme/hostnqn
fi

if has network && [ -n "$b_ip" ]; then
    X route4 "$b_ip" -4 route get 8.8.8.8
    X route6 "$b_ip" -6 route get 2404:6800:400a:800::1012
    L /sys/class/net
    for _dev in $(ls -f /sys/class/net 2>/dev/null); do
        case "$_dev" in . | ..) continue ;; esac
        _p=/sys/class/net/$_dev
        [ -d "$_p" ] || continue
        L "$_p"
        R "$_p/address" "$_p/mtu" "$_p/operstate" "$_p/type" "$_p/speed" "$_p/flags" \
            "$_p/bridge/bridge_id" "$_p/bridge/stp_state" "$_p/bonding/slaves" \
            "$_p/bonding/mode" "$_p/bonding/miimon" "$_p/bonding/lacp_rate" \
            "$_p/bonding/primary" "$_p/bonding/all_slaves_active" \
            "$_p/bonding_slave/perm_hwaddr"
        if [ -e "$_p/bridge" ]; then
            L "$_p/brif"
        fi
        if [ -e "$_p/device" ] && [ -n "$b_readlink" ]; then
            X "devlink $_dev" "$b_readlink" "$_p/device"
            if [ -e "$_p/device/driver/module" ]; then
                X "module $_dev" "$b_readlink" -f "$_p/device/driver/module"
            fi
        fi
        X "addr_primary $_dev" "$b_ip" addr show primary dev "$_dev" ||
            X "addr_all $_dev" "$b_ip" addr show dev "$_dev"
        X "addr_secondary $_dev" "$b_ip" addr show secondary dev "$_dev"
        if [ -n "$b_ethtool" ]; then
            X "ethtool_k $_dev" "$b_ethtool" -k "$_dev"
            X "ethtool_t $_dev" "$b_ethtool" -T "$_dev"
        fi
    done
    X local4 "$b_ip" -4 route show table local
    X local6 "$b_ip" -6 route show table local
fi

if has local; then
    _fp=$FP
    case "$_fp" in "~") _fp=${HOME-} ;; "~/"*) _fp=${HOME-}/${_fp#"~/"} ;; esac
    S t
    T "$_fp"
    if [ -d "$_fp" ]; then
        for _f in "$_fp"/*.fact; do
            [ -e "$_f" ] || continue
            _m=$(ls -ld "$_f" 2>/dev/null)
            case "$_m" in
            ???[xs]*)
                # stdout goes to the section; stderr and the exit status
                # come back through the command substitution.
                S "lx $_f"
                exec 3>&1
                _e=$("$_f" </dev/null 2>&1 1>&3 3>&-; printf '\n%s' "$?")
                exec 3>&-
                S "lrc ${_e##*
} $_f"
                printf '%s' "${_e%
*}"
                ;;
            *)
                S "lr $_f"
                cat "$_f" 2>/dev/null
                ;;
            esac
        done
    fi
fi

if has facter; then
    _fc=$b_facter
    [ -z "$_fc" ] && [ -x /opt/puppetlabs/bin/facter ] && _fc=/opt/puppetlabs/bin/facter
    [ -z "$_fc" ] && _fc=$b_cfacter
    [ -z "$_fc" ] && [ -x /opt/puppetlabs/bin/cfacter ] && _fc=/opt/puppetlabs/bin/cfacter
    if [ -n "$_fc" ]; then
        X facter_puppet "$_fc" --puppet --json
        X facter "$_fc" --json
    fi
fi

if has ohai && [ -n "$b_ohai" ]; then
    X ohai "$b_ohai"
fi

S end

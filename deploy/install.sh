#!/bin/sh
# Installs newshound as a systemd service on a system without the .deb
# (Fedora, Arch, openSUSE, a Debian without cargo-deb, ...). Run as root from
# a checkout, after `cargo build --release`:
#
#     deploy/install.sh [--dry-run] [BINARY]
#
# BINARY defaults to target/release/newshound in the checkout. --dry-run
# prints every step and changes nothing (and needs no root).
#
# What it does, in the order the .deb does it:
#   /usr/local/bin/newshound                  the binary (replaced)
#   user and group newshound                  systemd-sysusers, else useradd
#   /etc/newshound/{newshound.toml,feeds.toml,topics/*.toml,secrets.env}
#                                             only those missing: an existing
#                                             file is kept and reported
#   /etc/systemd/system/newshound.service     the unit, paths set to /usr/local
#   /usr/local/share/doc/newshound/           README.md and docs/
#   systemctl daemon-reload
# It does not enable or start the service: secrets.env first.
set -eu

usage() {
    sed -n '2,9s/^# \{0,1\}//p' "$0"
}

dry_run=no
binary=
while [ $# -gt 0 ]; do
    case $1 in
    --dry-run) dry_run=yes ;;
    -h | --help)
        usage
        exit 0
        ;;
    -*)
        echo "install.sh: unknown option $1" >&2
        usage >&2
        exit 1
        ;;
    *)
        if [ -n "$binary" ]; then
            echo "install.sh: one binary only" >&2
            exit 1
        fi
        binary=$1
        ;;
    esac
    shift
done

# A relative BINARY is relative to where the script was started; the files
# to install are relative to the checkout.
case $binary in
"") ;;
/*) ;;
*) binary=$(pwd)/$binary ;;
esac
cd "$(dirname "$0")/.."
repo=$(pwd)
binary=${binary:-$repo/target/release/newshound}

prefix=/usr/local
etc=/etc/newshound
unit=/etc/systemd/system/newshound.service

if [ ! -x "$binary" ]; then
    echo "install.sh: $binary is not an executable; build it with" \
        "\`cargo build --release\` or name the binary to install" >&2
    exit 1
fi
if [ "$dry_run" = no ] && [ "$(id -u)" != 0 ]; then
    echo "install.sh: run as root (or with --dry-run to see the steps)" >&2
    exit 1
fi

# Prints a command, then runs it unless this is a dry run.
run() {
    printf '+ %s\n' "$*"
    if [ "$dry_run" = no ]; then
        "$@"
    fi
}

# Installs SOURCE as DEST with MODE unless DEST exists: a configuration the
# administrator has edited (or a secrets file they filled in) is never
# overwritten. Kept files are listed at the end.
kept=
install_config() {
    if [ -e "$2" ]; then
        echo "  kept $2 (exists)"
        kept="$kept $2"
    else
        run install -m "$3" "$1" "$2"
    fi
}

echo "binary:"
run install -d -m 0755 "$prefix/bin"
run install -m 0755 "$binary" "$prefix/bin/newshound"

echo "user and group newshound:"
if command -v systemd-sysusers >/dev/null 2>&1; then
    # /etc/sysusers.d rather than /usr/lib/sysusers.d: /usr/lib belongs to
    # the distribution's packages. Kept there, systemd recreates the user at
    # boot should it ever be lost.
    run install -d -m 0755 /etc/sysusers.d
    run install -m 0644 deploy/newshound.sysusers /etc/sysusers.d/newshound.conf
    run systemd-sysusers newshound.conf
elif getent passwd newshound >/dev/null 2>&1; then
    echo "  user newshound exists"
else
    nologin=$(command -v nologin 2>/dev/null || echo /bin/false)
    run useradd --system --user-group --home-dir /var/lib/newshound \
        --no-create-home --shell "$nologin" --comment "newshound news monitor" newshound
fi

echo "configuration in $etc:"
run install -d -m 0755 "$etc" "$etc/topics"
install_config deploy/newshound.toml "$etc/newshound.toml" 0644
install_config feeds.toml "$etc/feeds.toml" 0644
for pack in config/topics/*.toml; do
    install_config "$pack" "$etc/topics/${pack##*/}" 0644
done
# Read by systemd as root (EnvironmentFile=), so root-only.
install_config deploy/secrets.env "$etc/secrets.env" 0600

echo "unit:"
# The unit names the .deb's paths; this installation lives under /usr/local.
printf '+ sed ... deploy/newshound.service > %s\n' "$unit"
if [ "$dry_run" = no ]; then
    sed -e "s|/usr/bin/newshound|$prefix/bin/newshound|" \
        -e "s|/usr/share/doc/newshound|$prefix/share/doc/newshound|" \
        deploy/newshound.service >"$unit.tmp"
    chmod 0644 "$unit.tmp"
    mv "$unit.tmp" "$unit"
fi

echo "documentation:"
run install -d -m 0755 "$prefix/share/doc/newshound/docs"
run install -m 0644 README.md "$prefix/share/doc/newshound/"
run install -m 0644 docs/*.md "$prefix/share/doc/newshound/docs/"

if [ -d /run/systemd/system ]; then
    run systemctl daemon-reload
else
    echo "systemd is not running here: run \`systemctl daemon-reload\` on the target system"
fi

if [ -n "$kept" ]; then
    echo
    echo "Kept as they were (compare with the files in $repo if upgrading):"
    for f in $kept; do
        echo "  $f"
    done
fi

cat <<EOF

Next:
  1. Put alert secrets in $etc/secrets.env (see the examples in it) and
     name them in $etc/newshound.toml; check with
       newshound --config $etc/newshound.toml check
  2. systemctl enable --now newshound
  3. systemctl status newshound
  4. journalctl -u newshound -f
Analysts: usermod -aG newshound NAME, then log in again.
EOF
if [ "$dry_run" = yes ]; then
    echo
    echo "(dry run: nothing was changed)"
fi

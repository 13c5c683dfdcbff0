#!/bin/sh
# Writes deploy/newshound.toml, the configuration installed as
# /etc/newshound/newshound.toml, from the repository's config/newshound.toml.
#
# The installed file is the repository's file with four lines changed, so
# that every option and comment stays documented in one place. The lines are
# the paths that differ between a checkout and an installed system:
#
#   [store]  path    ../data           -> /var/lib/newshound (StateDirectory=)
#   [feeds]  file    ../feeds.toml     -> feeds.toml (beside it in /etc/newshound)
#   [topics] dir     topics            -> topics (already right; checked so that
#                                         a change in the repository is noticed)
#   [api]    socket  ../data/api.sock  -> /run/newshound/api.sock (RuntimeDirectory=)
#
# tests/deploy.rs makes the same changes in Rust and fails when the committed
# deploy/newshound.toml differs: run this script after editing
# config/newshound.toml. Change the table below and the test's together.
#
# Usage: deploy/make-config.sh   (from anywhere; writes deploy/newshound.toml)
set -eu

cd "$(dirname "$0")/.."
src=config/newshound.toml
dst=deploy/newshound.toml

# Escapes a literal string for the pattern side of a sed s/// command...
regex_escape() { printf '%s\n' "$1" | sed 's/[]\/$*.^[]/\\&/g'; }
# ...and for its replacement side.
replacement_escape() { printf '%s\n' "$1" | sed 's/[\/&]/\\&/g'; }

# One "old line|new line" pair per line; each old line must occur exactly
# once in $src, as a whole line, or the script stops: a renamed or moved
# option must not leave a repository path in the installed file.
script=
while IFS='|' read -r old new; do
    count=$(grep -cxF -- "$old" "$src" || true)
    if [ "$count" != 1 ]; then
        echo "make-config.sh: $src has the line '$old' $count times, expected once;" \
            "update this script and tests/deploy.rs" >&2
        exit 1
    fi
    script="${script}s/^$(regex_escape "$old")\$/$(replacement_escape "$new")/
"
done <<'EOF'
path = "../data"|path = "/var/lib/newshound"
file = "../feeds.toml"|file = "feeds.toml"
dir = "topics"|dir = "topics"
socket = "../data/api.sock"|socket = "/run/newshound/api.sock"
EOF

# Write beside the target and rename, so an interrupted run never leaves a
# half-written file for `cargo deb` to package.
sed -e "$script" "$src" >"$dst.tmp"
mv "$dst.tmp" "$dst"
echo "wrote $dst"

#!/usr/bin/env bash
# Measures `newshound run --once` on the shared 1,000-feed farm: a first poll
# from an empty store, then a second poll (all 304), each under
# /usr/bin/time -v, and scores the hits against the farm's expected GUIDs.
#
#   scripts/bench-farm.sh            # needs ../shared, nginx (nginx-light) and GNU time
#
# Env: SHARED (default ../shared), BENCH_OUT (default target/bench-farm),
#      NEWSHOUND_BIN (default target/release/newshound, built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
OUT=$(realpath -m "${BENCH_OUT:-target/bench-farm}")
BIN=${NEWSHOUND_BIN:-target/release/newshound}
[ -x "$BIN" ] || cargo build --release --locked
[ -d "$OUT/farm/htdocs" ] || python3 "$SHARED/bench/farm/gen_farm.py" --out "$OUT/farm"
BENCH_OUT=$OUT "$SHARED/bench/serve.sh" start

state=$OUT/newshound
rm -rf "$state"
mkdir -p "$state"
cp "$OUT/farm/newshound/feeds.toml" "$state/feeds.toml"
cat >"$state/newshound.toml" <<TOML
[store]
path = "store"
[feeds]
file = "feeds.toml"
[topics]
dir = "$PWD/config/topics"
[poll]
# Every farm feed is on one host; the default of 2 per host would measure
# the limit, not the work. newsboat ran 16 threads on the same farm.
concurrency = 32
per_host = 16
[api]
socket = "api.sock"
[log]
level = "warn"
TOML

for poll in 1 2; do
    /usr/bin/time -v -o "$state/time.$poll" "$BIN" run --once --config "$state/newshound.toml" \
        >"$state/summary.$poll" 2>"$state/log.$poll"
    awk -v poll="$poll" -v summary="$(cat "$state/summary.$poll")" '
        /User time/ {u=$NF} /System time/ {s=$NF} /Elapsed/ {w=$NF} /Maximum resident/ {r=$NF}
        END {printf "poll %d: wall %s, cpu %.2f s (user %s + sys %s), peak RSS %.0f MiB; %s\n", poll, w, u+s, u, s, r/1024, summary}
    ' "$state/time.$poll"
done

"$BIN" hits list --config "$state/newshound.toml" --limit 1000000 --format jsonl \
    | python3 -c 'import json, sys; [print(json.loads(l)["entry_id"]) for l in sys.stdin]' \
    | sort -u >"$state/hit_guids.txt"
sort -u "$OUT/farm/expected_guids.txt" >"$state/expected.txt"
tp=$(comm -12 "$state/hit_guids.txt" "$state/expected.txt" | wc -l)
fp=$(comm -23 "$state/hit_guids.txt" "$state/expected.txt" | wc -l)
fn=$(comm -13 "$state/hit_guids.txt" "$state/expected.txt" | wc -l)
echo "hits vs expected GUIDs: tp $tp, fp $fp, fn $fn (expected $(wc -l <"$state/expected.txt"))"

#!/usr/bin/env bash
# Measures the speed peers in shared/peers/ (see its README.md): the same small supply chain
# ((s,S) supplier -> warehouse -> Poisson customers, export ban on days 700-790, 5 years daily)
# run as SimPy 4.1.2 (simpy_inventory.py) and as a hand-written Rust event loop (rust_hold).
#
#   bash benches/peers.sh [REPS_SIMPY] [REPS_RUST]     # defaults 200 and 5000
#
# Prints each peer's raw key=value line, then a summary: milliseconds per replicate (SimPy: the
# median over replicates, ms_per_rep_median; rust_hold: total/reps, ms_per_rep), mean fill rate
# (the two use different random streams, so the rates agree only statistically, about 0.935),
# their ratio, and the machine and date. Machines are shared and noisy: quote ratios measured
# in the same run, not absolute times. rust_hold and a venv with SimPy are built once, under
# ${XDG_CACHE_HOME:-$HOME/.cache}/chokepoint-peers; nothing is written to the peers folder.
# For benchmarking by hand; CI does not run it. PEERS=DIR overrides the peers folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
PEERS=${PEERS:-$root/../shared/peers}
reps_py=${1:-200}
reps_rs=${2:-5000}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/chokepoint-peers
die() { echo "peers.sh: $*" >&2; exit 1; }

[[ $reps_py =~ ^[1-9][0-9]*$ && $reps_rs =~ ^[1-9][0-9]*$ ]] ||
  die "usage: bash benches/peers.sh [REPS_SIMPY] [REPS_RUST] (positive integers)"
[[ -f $PEERS/simpy_inventory.py && -f $PEERS/rust_hold/Cargo.toml ]] ||
  die "peers folder missing or incomplete: $PEERS (set PEERS=/path/to/shared/peers)"
mkdir -p "$cache" || die "cannot create $cache"

# rust_hold has no dependencies and ships its Cargo.lock, so it builds in place; --locked makes
# cargo fail rather than touch the (read-only) lock file. A second run is a no-op for cargo.
export CARGO_TARGET_DIR=$cache/target
cargo build --release --locked --quiet --manifest-path "$PEERS/rust_hold/Cargo.toml" ||
  die "building rust_hold failed"
bin=$CARGO_TARGET_DIR/release/rust_hold

# SimPy in its own venv, installed only when simpy 4.1.2 is not there yet.
venv=$cache/venv
if ! "$venv/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("simpy") != "4.1.2")' 2>/dev/null; then
  echo "peers.sh: installing simpy 4.1.2 into $venv" >&2
  { [[ -x $venv/bin/pip ]] || python3 -m venv "$venv"; } || die "python3 -m venv $venv failed"
  "$venv/bin/pip" install --quiet simpy==4.1.2 || die "pip install simpy==4.1.2 failed"
fi

rs=$("$bin" inventory "$reps_rs") || die "rust_hold inventory $reps_rs failed"
echo "$rs"
py=$(PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" "$PEERS/simpy_inventory.py" --reps "$reps_py") ||
  die "simpy_inventory.py --reps $reps_py failed"
echo "$py"

# kv LINE KEY: the value of KEY=... in a key=value line (fails if absent).
kv() { awk -v k="$2" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); f = 1 } } END { exit !f }' <<<"$1" ||
  die "no $2= in: $1"; }
py_med=$(kv "$py" ms_per_rep_median); py_mean=$(kv "$py" ms_per_rep_mean); py_fill=$(kv "$py" mean_fill_rate)
rs_ms=$(kv "$rs" ms_per_rep); rs_fill=$(kv "$rs" mean_fill_rate)

echo
echo "| peer | replicates | ms per replicate | mean fill rate |"
echo "|---|---|---|---|"
echo "| SimPy 4.1.2 (\`simpy_inventory.py\`) | $reps_py | $py_med (median; mean $py_mean) | $py_fill |"
echo "| rust_hold \`inventory\` | $reps_rs | $rs_ms (mean) | $rs_fill |"
echo
awk -v a="$py_med" -v b="$rs_ms" 'BEGIN { printf "SimPy median / rust_hold: %.0fx\n", a / b }'
echo "Machine: $(nproc) CPUs (nproc), $(uname -m); measured $(date -u '+%Y-%m-%d %H:%M UTC')."

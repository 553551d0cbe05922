#!/usr/bin/env bash
# Regenerates the charts and KPI tables of docs/scenarios.md from the bundled scenarios.
#
#   bash scripts/scenario-docs.sh            # every scenario in scenarios/*.toml
#   bash scripts/scenario-docs.sh FILE...    # only these
#
# For each scenario it runs `chokepoint run` (the file's own seed), draws the run's charts
# with `chokepoint plot`, keeps the shortage chart as docs/images/scenarios/<stem>.png, and
# replaces the blocks between `<!-- chart:<stem> -->` / `<!-- /chart:<stem> -->` and
# `<!-- kpis:<stem> -->` / `<!-- /kpis:<stem> -->` in docs/scenarios.md. A test
# (crates/cli/tests/it/library.rs) fails when the KPI tables are not those the tool prints.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked -q -p chokepoint-cli
bin=target/release/chokepoint
doc=docs/scenarios.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p docs/images/scenarios

if [ $# -eq 0 ]; then set -- scenarios/*.toml; fi
for file in "$@"; do
  stem=$(basename "$file" .toml)
  grep -q "<!-- kpis:$stem -->" "$doc" || { echo "$doc has no section for $stem" >&2; exit 1; }
  "$bin" run "$file" -o "$work/$stem" | grep -v '^Wrote ' >"$work/$stem.kpis"
  "$bin" plot "$work/$stem" --format png -o "$work/$stem-charts" >/dev/null
  cp "$work/$stem-charts/shortage.png" "docs/images/scenarios/$stem.png"
  awk -v stem="$stem" -v kpis="$work/$stem.kpis" '
    $0 == "<!-- chart:" stem " -->" {
      print
      print "![Shortage over time, " stem "](images/scenarios/" stem ".png)"
      skip = 1; next
    }
    $0 == "<!-- kpis:" stem " -->" {
      print
      print "```text"
      while ((getline line < kpis) > 0) print line
      print "```"
      skip = 1; next
    }
    $0 == "<!-- /chart:" stem " -->" || $0 == "<!-- /kpis:" stem " -->" { skip = 0 }
    !skip { print }
  ' "$doc" >"$work/doc.md"
  mv "$work/doc.md" "$doc"
  echo "updated $stem"
done

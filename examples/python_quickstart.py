"""chokepoint from Python, checked: run the April 2025 rare-earth scenario, read its KPIs and
series as pandas DataFrames, ask why US car plants ran short, see a bad scenario rejected
with the line it is on, then sweep it, rank its regions, score it against history and write
its briefing. Run from the repository root after `pip install ./python`:

    python examples/python_quickstart.py

Every assertion is on a figure the simulation computes (scripts/python-test.sh runs this in a
fresh virtual environment).
"""

import datetime
import os
import tempfile
from pathlib import Path

import chokepoint

APRIL = "scenarios/rare-earth-controls-april-2025.toml"

# One run, the scenario's own seed.
r = chokepoint.run(APRIL)
assert r.start.isoformat() == "2025-01-01" and r.horizon_days == 365
# The control of 4 April 2025 is day 93, the first disruptive event.
assert r.first_disruption_day == 93, r.first_disruption_day

# KPIs: one row per facility and buyer, indexed by id.
us = r.kpis.loc["us_auto"]
assert us["kind"] == "sink" and us["region"] == "US"
assert us["time_to_survive_days"] is not None and us["time_to_survive_days"] > 0
assert us["min_cover_days"] < 1.0, "US car plants ran out"
assert us["peak_shortage"] > 0 and 0 <= us["fill_rate"] < 1

# Series, long: one row per day, entity and metric.
assert list(r.series.columns) == ["day", "date", "entity", "kind", "metric", "is_flow", "value"]
unmet = r.series.query("entity == 'us_auto' and metric == 'unmet'")
assert len(unmet) == r.horizon_days
assert abs(unmet["value"].sum() - us["unmet_units"]) <= 1e-6 * max(1.0, us["unmet_units"])
# The first short day is time_to_survive_days after the first disruption.
first_short = int(unmet.loc[unmet["value"] > 0, "day"].min())
assert first_short == r.first_disruption_day + us["time_to_survive_days"], first_short

# Series, wide: one column per entity/metric, indexed by date.
wide = r.series_wide()
assert wide.shape[0] == r.horizon_days
assert (wide["us_auto/unmet"].to_numpy() == unmet["value"].to_numpy()).all()

# A key set as --set sets it: an earlier end of the control cannot make things worse.
early = chokepoint.run(APRIL, set={"event.mofcom-18-2025.end": "2025-06-06"})
assert early.kpis.loc["us_auto", "unmet_units"] <= us["unmet_units"] + 1e-9

# Why did US car plants run short?
why = chokepoint.explain(APRIL, "us_auto")
assert why and all(isinstance(line, str) for line in why)

# A bad scenario is a ScenarioError with file, line, column and hint.
bad = Path(APRIL).read_text().replace('horizon = "365d"', 'horizon = "365 fortnights"', 1)
with tempfile.TemporaryDirectory(dir=os.path.dirname(APRIL)) as tmp:
    path = Path(tmp) / "bad.toml"
    # Same folder depth as scenarios/, so `extends` still finds the world file.
    path.write_text(bad.replace('extends = "worlds/', 'extends = "../worlds/', 1))
    try:
        chokepoint.run(path)
    except chokepoint.ScenarioError as error:
        d = error.diagnostics[0]
        expected_line = 1 + bad.splitlines().index('horizon = "365 fortnights"')
        assert d["file"].endswith("bad.toml") and d["line"] == expected_line, d
        assert "bad.toml" in str(error)
    else:
        raise AssertionError("a horizon of '365 fortnights' was accepted")

# A sweep: the control ended in June, and in December, at the file's licence review time
# (the file's [sweep] grid also varies it: pinned here to one value), 20 runs each. Run 0 of
# a sweep uses the base seed as is, so its KPIs are the single run's.
RUNS = 20
ends = ["2025-06-06", "2025-12-31"]
REVIEW = "event.mofcom-18-2025.licence.review"
grid = {"event.mofcom-18-2025.end": ends, REVIEW: '"63d"'}
june = chokepoint.run(APRIL, set={"event.mofcom-18-2025.end": "2025-06-06", REVIEW: '"63d"'})
s = chokepoint.sweep(APRIL, runs=RUNS, set=grid, progress=False)
n_entities = len(r.kpis)
assert len(s.kpis) == len(ends) * RUNS * n_entities, (len(s.kpis), n_entities)
assert sorted(s.kpis["point"].unique()) == [0, 1]
run0 = s.kpis.query("point == 0 and run == 0 and entity == 'us_auto'")
assert len(run0) == 1
expected = june.kpis.loc["us_auto", "unmet_units"]
assert abs(float(run0["unmet_units"].iloc[0]) - expected) <= 1e-6 * max(1.0, expected), (run0, expected)
# Common random numbers: run i has the same seed at both points.
by_point = s.kpis.query("entity == 'us_auto'").pivot(index="run", columns="point", values="unmet_units")
seeds = s.kpis.query("entity == 'us_auto'").pivot(index="run", columns="point", values="seed")
assert (seeds[0] == seeds[1]).all() and seeds[0].nunique() == RUNS
assert set(s.bands["metric"]) >= {"shortage_fraction"}

# A batch stops between replicates when its progress callback raises (as Ctrl-C does, which
# comes back as KeyboardInterrupt), and the exception reaches the caller.
class Enough(Exception):
    pass


seen = []


def stop_early(done, total):
    seen.append((done, total))
    if done > 0:
        raise Enough


try:
    chokepoint.sweep(APRIL, runs=5000, set=grid, progress=stop_early)
except Enough:
    assert seen[0][1] == 2 * 5000 and seen[-1][0] < 2 * 5000, seen[-3:]
else:
    raise AssertionError("the sweep ran to its end despite the callback")

# Single points of failure: every region banned from exporting for 90 days, 3 runs each.
ranking = chokepoint.rank(APRIL, by="region", disruption="ban:90d", start="2025-02-01", runs=3, progress=False)
assert list(ranking.table["rank"]) == list(range(1, len(ranking.table) + 1))
assert set(ranking.table["region"]) <= set(r.entities["region"])

# The model against history: every observation of the scenario's [backtest] files is scored.
bt = chokepoint.backtest(APRIL, runs=RUNS, progress=False)
scored = bt.scores[bt.scores["scored"] == "yes"]
assert len(scored) > 0 and set(scored["inside"]) <= {"yes", "no"}
# The rows agree with the coverage backtest.json counts.
everything = [row for row in bt.summary["coverage"]["rows"] if row["group"] == "all"]
assert [(row["scored"], row["inside"]) for row in everything] == [(len(scored), int((scored["inside"] == "yes").sum()))]
assert "inside the model's 90 % band" in bt.scorecard

# Bad arguments are refused with a hint before anything runs.
for call in (lambda: chokepoint.rank(APRIL, by="country", progress=False),
             lambda: chokepoint.report(APRIL, "examples/no-brief", rank="country", progress=False),
             lambda: chokepoint.report(APRIL, os.path.dirname(APRIL), progress=False)):
    try:
        call()
    except chokepoint.ChokepointError as error:
        assert error.hint, error
    else:
        raise AssertionError("a bad argument was accepted")
assert not os.path.exists("examples/no-brief")

# The briefing, into a new folder.
with tempfile.TemporaryDirectory() as tmp:
    # With tqdm installed, a bar per stage (sweep, backtest) goes to stderr.
    html = chokepoint.report(APRIL, Path(tmp) / "brief", runs=RUNS)
    text = html.read_text()
    assert html.name == "report.html" and r.name in text
    assert (html.parent / "report.xlsx").stat().st_size > 0
    assert (html.parent / "data" / "sweep" / "kpis.csv").exists()

print(r)
print(f"US car plants: short {us['time_to_survive_days']} days after the control "
      f"(first short day {r.start + datetime.timedelta(days=first_short)}), "
      f"peak shortage {us['peak_shortage']:.0%}, fill rate {us['fill_rate']:.1%}, "
      f"lowest cover {us['min_cover_days']:.1f} days on {us['min_cover_date']:%Y-%m-%d}")
print(f"With the control ended on 6 June: unmet {early.kpis.loc['us_auto', 'unmet_units']:,.0f} "
      f"vs {us['unmet_units']:,.0f} units")
print("Why:", why[0])
print(f"Bad file rejected at line {d['line']}, column {d['column']}: {d['message']}"
      + (f" (hint: {d['hint']})" if d["hint"] else ""))
print(r.kpis[["kind", "region", "time_to_survive_days", "peak_shortage", "fill_rate", "min_cover_days"]]
      .head(8).to_string())
print(f"Sweep: P(US car plants short) with the control ended 6 June vs 31 December: "
      f"{(by_point[0] > 0).mean():.0%} vs {(by_point[1] > 0).mean():.0%} of {RUNS} runs")
top = ranking.table.iloc[0]
print(f"Worst region to lose for 90 days from 1 Feb: {top['candidate']} "
      f"({top['lost_value_mean']:,.0f} of value lost on average over 3 runs)")
print("Against history:", next(line for line in bt.scorecard.splitlines() if "inside the model's" in line).strip())

"""chokepoint from Python: run a supply-chain disruption scenario, read its KPIs and series
as pandas DataFrames, sweep it, rank its single points of failure, score it against
history, ask why a buyer ran short, and write the briefing.

    >>> import chokepoint
    >>> r = chokepoint.run("scenarios/rare-earth-controls-april-2025.toml")
    >>> r.kpis.loc["us_auto", "time_to_survive_days"]
    >>> r.series_wide()["us_auto/shortage_fraction"].plot()
    >>> chokepoint.explain("scenarios/rare-earth-controls-april-2025.toml", "us_auto")
    >>> s = chokepoint.sweep("scenarios/rare-earth-controls-april-2025.toml", runs=200,
    ...                      set={"event.mofcom-18-2025.end": ["2025-06-06", "2025-12-31"]})
    >>> s.kpis.groupby(["point", "entity"])["fill_rate"].mean()

The simulation is the Rust one (``chokepoint._chokepoint``); it runs with the GIL released,
so threads can run scenarios side by side; long calls show a progress bar (tqdm, when it is
installed) and stop cleanly on Ctrl-C. See docs/python.md.
"""

from __future__ import annotations

import datetime as _dt
import io as _io
import json as _json
import os
import pathlib as _pathlib
import warnings as _warnings
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Union

import numpy as _np
import pandas as _pd

from . import _chokepoint
from ._chokepoint import ChokepointError, ScenarioError

__version__ = _chokepoint.__version__

__all__ = [
    "run",
    "explain",
    "sweep",
    "rank",
    "backtest",
    "report",
    "Run",
    "Sweep",
    "Ranking",
    "Backtest",
    "ChokepointError",
    "ScenarioError",
    "ScenarioWarning",
    "__version__",
]

PathLike = Union[str, "os.PathLike[str]"]
Settings = Optional[Mapping[str, Any]]


class ScenarioWarning(UserWarning):
    """A scenario loaded with warnings (the file is accepted; the warning says what looks off)."""


def _toml_text(value: Any) -> str:
    """One ``--set`` value as text: strings pass as written (as on the command line), the rest
    are written as TOML would write them."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, _np.integer, _np.floating)):
        return repr(value.item() if isinstance(value, _np.generic) else value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_quoted(v) for v in value) + "]"
    raise TypeError(
        f"cannot set a scenario key to {value!r} ({type(value).__name__}); "
        "give a str (TOML text, as --set takes it), a number, a bool, a date or a list"
    )


def _toml_quoted(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return _toml_text(value)


def _settings(set: Settings) -> List[tuple]:
    if not set:
        return []
    if not isinstance(set, Mapping):
        raise TypeError("set= takes a dict of dotted keys to values, e.g. {'event.mofcom-18-2025.end': '2025-06-06'}")
    return [(str(key), _toml_text(value)) for key, value in set.items()]


def _path(path: PathLike) -> str:
    return os.fspath(path)


@dataclass
class Run:
    """One replicate of a scenario.

    Attributes:
        name: the scenario's name.
        file: the scenario file.
        seed: the base seed it ran with (the scenario's unless another was given).
        start: the date of day 0.
        horizon_days: days simulated.
        first_disruption_day: day of the first disruptive event, or None.
        entities: one row per facility, sink and stockpile (index ``id``; name, kind,
            region, product).
        kpis: one row per facility and sink (index ``id``): name, kind, region, product,
            the KPIs (time_to_survive_days, time_to_recover_days, peak_shortage,
            unmet_units, lost_value, fill_rate) and headroom (min_cover_days,
            min_cover_date, min_cover_input, min_cover_supplier; NaN/None without inputs).
        series: long: one row per day, entity and metric (day, date, entity, kind, metric,
            is_flow, value).
        events: the timeline played (day, date, kind, subject, detail).
        warnings: the loader's warnings, as dicts (severity, message, file, line, column,
            end_line, end_column, hint).
    """

    name: str
    file: str
    seed: int
    start: _dt.date
    horizon_days: int
    first_disruption_day: Optional[int]
    entities: _pd.DataFrame
    kpis: _pd.DataFrame
    series: _pd.DataFrame
    events: _pd.DataFrame
    warnings: List[Dict[str, Any]] = field(default_factory=list)

    def series_wide(self) -> _pd.DataFrame:
        """The series wide: one column per ``entity/metric``, indexed by date."""
        wide = self.series.pivot(index="date", columns=["entity", "metric"], values="value")
        order = list(dict.fromkeys(zip(self.series["entity"], self.series["metric"])))
        wide = wide.reindex(columns=_pd.MultiIndex.from_tuples(order, names=["entity", "metric"]))
        wide.columns = [f"{entity}/{metric}" for entity, metric in wide.columns]
        wide.columns.name = None
        return wide

    def __repr__(self) -> str:
        return (
            f"<chokepoint.Run {self.name!r} seed={self.seed} {self.horizon_days} days from "
            f"{self.start}: {len(self.kpis)} entities with KPIs, {len(self.series)} series rows>"
        )


def _frames(raw: Dict[str, Any]) -> Run:
    start = _dt.date.fromisoformat(raw["start"])
    horizon = int(raw["horizon_days"])
    dates = _pd.date_range(start, periods=horizon, freq="D")

    entities = _pd.DataFrame(raw["entities"], columns=["id", "name", "kind", "region", "product"])
    ids = entities["id"].to_numpy()

    kpis = _pd.DataFrame(
        raw["kpis"],
        columns=[
            "entity", "time_to_survive_days", "time_to_recover_days", "peak_shortage",
            "unmet_units", "lost_value", "fill_rate", "min_cover_days", "min_cover_day",
            "min_cover_input", "min_cover_supplier",
        ],
    )
    for column in ("time_to_survive_days", "time_to_recover_days", "min_cover_day"):
        kpis[column] = kpis[column].astype("Int64")
    kpis["min_cover_days"] = kpis["min_cover_days"].astype("float64")
    cover_day = kpis.pop("min_cover_day")
    kpis.insert(
        kpis.columns.get_loc("min_cover_days") + 1,
        "min_cover_date",
        _pd.Series(
            [dates[d] if d is not _pd.NA and d < horizon else _pd.NaT for d in cover_day],
            dtype="datetime64[ns]",
            index=kpis.index,
        ),
    )
    kpis = entities.iloc[kpis.pop("entity").to_numpy()].reset_index(drop=True).join(kpis)
    kpis = kpis.set_index("id")

    series = raw["series"]
    lengths = _np.array([len(s["values"]) for s in series], dtype=_np.int64)
    days = _np.concatenate([_np.arange(n) for n in lengths]) if series else _np.array([], dtype=_np.int64)
    entity_index = _np.repeat([s["entity"] for s in series], lengths).astype(_np.int64)
    long = _pd.DataFrame(
        {
            "day": days,
            "date": dates[days] if len(days) else _pd.DatetimeIndex([]),
            "entity": ids[entity_index] if len(days) else [],
            "kind": entities["kind"].to_numpy()[entity_index] if len(days) else [],
            "metric": _np.repeat([s["metric"] for s in series], lengths),
            "is_flow": _np.repeat([s["is_flow"] for s in series], lengths).astype(bool),
            "value": _np.concatenate([_np.asarray(s["values"], dtype=_np.float64) for s in series])
            if series
            else _np.array([], dtype=_np.float64),
        }
    )

    events = _pd.DataFrame(raw["events"], columns=["day", "kind", "subject", "detail"])
    events.insert(1, "date", dates[_np.minimum(events["day"].to_numpy(dtype=_np.int64), horizon - 1)] if len(events) else [])

    return Run(
        name=raw["name"],
        file=raw["file"],
        seed=int(raw["seed"]),
        start=start,
        horizon_days=horizon,
        first_disruption_day=raw["first_disruption_day"],
        entities=entities.set_index("id"),
        kpis=kpis,
        series=long,
        events=events,
        warnings=list(raw["warnings"]),
    )


def _warn(raw_warnings: List[Dict[str, Any]], stacklevel: int = 3) -> None:
    for w in raw_warnings:
        where = w.get("file") or ""
        if w.get("line") is not None:
            where += f":{w['line']}:{w['column']}"
        hint = f" (hint: {w['hint']})" if w.get("hint") else ""
        _warnings.warn(f"{where}: {w['message']}{hint}", ScenarioWarning, stacklevel=stacklevel)


def run(path: PathLike, seed: Optional[int] = None, set: Settings = None) -> Run:
    """Runs replicate 0 of the scenario at ``path``, as ``chokepoint run`` does.

    Args:
        path: the scenario file (it may extend world files, found relative to it).
        seed: the base seed; the scenario's own when None.
        set: keys to set by dotted path, as ``--set`` sets them, one value per key:
            ``{"event.mofcom-18-2025.end": "2025-06-06"}``. A str is TOML text as on the
            command line; numbers, bools, dates and lists are written as TOML.

    Returns:
        a :class:`Run` with ``kpis``, ``series`` (long), ``series_wide()``, ``events``.

    Raises:
        ScenarioError: the file was rejected (``.diagnostics``: file, line, column, hint).
        ChokepointError: the model cannot run, or the file cannot be read (``.hint``).
    """
    raw = _chokepoint.run(_path(path), seed, _settings(set))
    _warn(raw["warnings"])
    return _frames(raw)


def explain(path: PathLike, entity: str, seed: Optional[int] = None, set: Settings = None) -> List[str]:
    """Runs the scenario once (as :func:`run` does) and returns why ``entity`` ran short,
    as the sentences ``chokepoint explain`` prints.

    Raises:
        ScenarioError: the file was rejected.
        ChokepointError: e.g. ``entity`` is not a facility or buyer of the scenario (``.hint``).
    """
    return list(_chokepoint.explain(_path(path), entity, seed, _settings(set)))


# ---------------------------------------------------------------------------------------
# Batches: sweep, rank, backtest, report


class _Bar:
    """Progress of a long call: a tqdm bar (``tqdm.auto``, so a widget in notebooks) when
    tqdm is installed and ``progress`` is true, else nothing. ``progress`` may also be a
    callable ``f(done, total)``."""

    def __init__(self, progress: Any, what: str) -> None:
        self._callback = progress if callable(progress) else None
        self._enabled = bool(progress)
        self._what = what
        self._bar = None
        self._total = 0
        self._offset = 0

    def start(self, total: int, what: Optional[str] = None) -> None:
        self._close()
        self._total = int(total)
        if self._callback is None and self._enabled and total > 0:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # no bar without tqdm
                return
            self._bar = tqdm(total=self._total, desc=what or self._what, unit="run")

    def stage(self, what: str, runs: int) -> None:
        """A report's stage begins: a new bar for its runs."""
        self._offset += self._total
        self.start(runs, what)

    def update(self, done: int) -> None:
        n = int(done) - self._offset
        if self._callback is not None:
            self._callback(n, self._total)
        elif self._bar is not None and n > self._bar.n:
            self._bar.update(n - self._bar.n)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def close(self) -> None:
        self._close()


def _batch(what: str, progress: Any, call: Any) -> tuple:
    """Runs ``call(update, start)`` (a batch of ``_chokepoint``) with a progress bar, issues
    the scenario's warnings at the caller of the public function, and returns the raw dict
    and its files by name."""
    bar = _Bar(progress, what)
    try:
        raw = call(bar.update, bar.start)
    finally:
        bar.close()
    _warn(raw["warnings"], stacklevel=4)
    return raw, dict(raw["files"])


def _csv(data: bytes) -> _pd.DataFrame:
    return _pd.read_csv(_io.BytesIO(data))


def _grid(set: Settings) -> List[tuple]:
    """``set=`` of a sweep: each key to one value or a list of values (the grid)."""
    if not set:
        return []
    if not isinstance(set, Mapping):
        raise TypeError("set= takes a dict of dotted keys to a value or a list of values")
    out = []
    for key, value in set.items():
        values = list(value) if isinstance(value, (list, tuple)) and not isinstance(value, str) else [value]
        out.append((str(key), [_toml_text(v) for v in values]))
    return out


@dataclass
class Sweep:
    """A Monte Carlo sweep: replicates at every point of a grid of settings.

    Attributes:
        bands: bands.csv: per point, step, entity and metric, the mean and p05-p95 over runs.
        kpis: kpis.csv: one row per point, run and entity (with the run's seed).
        summary: summary.json as a dict: per point and entity, the probability of a
            shortage, KPI distributions and the survival curve.
        table: the table ``chokepoint sweep`` prints.
        runs, seed: replicates per point and the base seed.
        files: every result file's bytes, by name (write them to keep the sweep).
    """

    bands: _pd.DataFrame
    kpis: _pd.DataFrame
    summary: Dict[str, Any]
    table: str
    runs: int
    seed: int
    files: Dict[str, bytes] = field(repr=False, default_factory=dict)

    def __repr__(self) -> str:
        points = len(self.summary.get("points", []))
        return f"<chokepoint.Sweep {points} point(s) x {self.runs} runs, seed {self.seed}>"


def sweep(
    path: PathLike,
    runs: Optional[int] = None,
    seed: Optional[int] = None,
    set: Settings = None,
    threads: int = 0,
    bands: Optional[str] = None,
    progress: Any = True,
) -> Sweep:
    """Runs many replicates of the scenario at ``path`` over a grid of settings, as
    ``chokepoint sweep`` does (the same bytes as its files).

    Args:
        runs: replicates per point (the file's ``[sweep] runs``, else 100).
        seed: the base seed (the scenario's when None); run i has the same seed at every point.
        set: keys to set, each to a value or a list of values (the grid), added to or
            replacing the file's ``[sweep] grid``.
        threads: worker threads (0: one per core); results do not depend on it.
        bands: "watched", "all" or None (the file's ``[report] bands``).
        progress: a progress bar (tqdm) when true; or a callable ``f(done, total)``.
    """
    raw, files = _batch(
        "sweep",
        progress,
        lambda update, start: _chokepoint.sweep(
            _path(path), runs, seed, _grid(set), threads, bands, update, start
        ),
    )
    return Sweep(
        bands=_csv(files["bands.csv"]),
        kpis=_csv(files["kpis.csv"]),
        summary=_json.loads(files["summary.json"]),
        table=raw["table"],
        runs=int(raw["runs"]),
        seed=int(raw["seed"]),
        files=files,
    )


@dataclass
class Ranking:
    """Single points of failure, worst first.

    Attributes:
        table: rank.csv: one row per candidate (rank, candidate, lost value mean and
            p05-p95, probability and timing of a shortage, the buyers most hit).
        summary: rank.json as a dict.
        text: the table ``chokepoint rank`` prints.
        files: rank.csv, rank.json and the chart (rank.svg, rank.png), by name.
    """

    table: _pd.DataFrame
    summary: Dict[str, Any]
    text: str
    files: Dict[str, bytes] = field(repr=False, default_factory=dict)

    def __repr__(self) -> str:
        return f"<chokepoint.Ranking of {len(self.table)} candidates>"


def rank(
    path: PathLike,
    by: str = "facility",
    disruption: str = "full-stop:90d",
    start: Optional[str] = None,
    runs: Optional[int] = None,
    seed: Optional[int] = None,
    set: Settings = None,
    watch: Optional[List[str]] = None,
    threads: int = 0,
    top: int = 15,
    progress: Any = True,
) -> Ranking:
    """Disrupts each candidate in turn and ranks them by what the watched buyers lose, as
    ``chokepoint rank`` does.

    Args:
        by: "facility", "region", "product" or "region-product".
        disruption: ``KIND:DURATION``: "full-stop:90d" or "ban:180d".
        start: when the disruption starts: a date ("2025-04-04") or a day number; day 0 when None.
        runs: replicates per candidate (20); seed, set, threads as for :func:`run` and :func:`sweep`.
        watch: the buyers whose losses count (the file's ``[report] watch``, else every sink).
        top: candidates drawn on the chart.
    """
    raw, files = _batch(
        "rank",
        progress,
        lambda update, begin: _chokepoint.rank(
            _path(path), by, disruption, None if start is None else str(start), runs, seed,
            _settings(set), list(watch or []), threads, top, update, begin,
        ),
    )
    return Ranking(
        table=_csv(files["rank.csv"]),
        summary=_json.loads(files["rank.json"]),
        text=raw["table"],
        files=files,
    )


@dataclass
class Backtest:
    """A scenario scored against its observation files.

    Attributes:
        scores: backtest.csv: one row per observation, with the model's p05, p50 and p95
            and whether the observation is inside the 90 % band.
        summary: backtest.json as a dict (coverage, every score).
        trade_bands: trade_bands.csv: the model's monthly trade bands beside the observations.
        scorecard: the scorecard ``chokepoint backtest`` prints.
        files: every file's bytes (the CSVs, JSON and fan charts), by name.
    """

    scores: _pd.DataFrame
    summary: Dict[str, Any]
    trade_bands: _pd.DataFrame
    scorecard: str
    files: Dict[str, bytes] = field(repr=False, default_factory=dict)

    def __repr__(self) -> str:
        return f"<chokepoint.Backtest of {len(self.scores)} observations>"


def backtest(
    path: PathLike,
    runs: Optional[int] = None,
    seed: Optional[int] = None,
    threads: int = 0,
    progress: Any = True,
) -> Backtest:
    """Runs the scenario's replicates and scores them against the observation files its
    ``[backtest]`` table names, as ``chokepoint backtest`` does."""
    raw, files = _batch(
        "backtest",
        progress,
        lambda update, start: _chokepoint.backtest(_path(path), runs, seed, threads, update, start),
    )
    return Backtest(
        scores=_csv(files["backtest.csv"]),
        summary=_json.loads(files["backtest.json"]),
        trade_bands=_csv(files["trade_bands.csv"]),
        scorecard=raw["scorecard"],
        files=files,
    )


def report(
    path: PathLike,
    output: PathLike,
    runs: Optional[int] = None,
    seed: Optional[int] = None,
    set: Optional[Mapping[str, Any]] = None,
    threads: int = 0,
    rank: Optional[str] = None,
    rank_disruption: str = "full-stop:90d",
    rank_runs: int = 20,
    progress: Any = True,
) -> _pathlib.Path:
    """Writes the briefing of ``path`` into ``output`` (a new or empty folder; removed again
    if the report fails), as ``chokepoint report`` does: report.html, report.md,
    report.xlsx, charts/ and data/. Returns the path of report.html; its key findings are
    printed.

    Args:
        set: keys to set, each to a value or a list of values (the sweep's grid).
        rank: add a section on single points of failure ranked by "facility", "region",
            "product" or "region-product".
    """
    sets = [f"{key}={','.join(values)}" for key, values in _grid(set)]
    bar = _Bar(progress, "report")
    try:
        headline = _chokepoint.report(
            _path(path), _path(output), runs, seed, sets, threads, rank, rank_disruption,
            rank_runs, bar.update, bar.stage,
        )
    finally:
        bar.close()
    print(headline)
    return _pathlib.Path(output) / "report.html"

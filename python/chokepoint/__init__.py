"""chokepoint from Python: run a supply-chain disruption scenario, read its KPIs and series
as pandas DataFrames, and ask why a buyer ran short.

    >>> import chokepoint
    >>> r = chokepoint.run("scenarios/rare-earth-controls-april-2025.toml")
    >>> r.kpis.loc["us_auto", "time_to_survive_days"]
    >>> r.series_wide()["us_auto/shortage_fraction"].plot()
    >>> chokepoint.explain("scenarios/rare-earth-controls-april-2025.toml", "us_auto")

The simulation is the Rust one (``chokepoint._chokepoint``); it runs with the GIL released,
so threads can run scenarios side by side. See docs/python.md.
"""

from __future__ import annotations

import datetime as _dt
import os
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
    "Run",
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


def _warn(raw_warnings: List[Dict[str, Any]]) -> None:
    for w in raw_warnings:
        where = w.get("file") or ""
        if w.get("line") is not None:
            where += f":{w['line']}:{w['column']}"
        hint = f" (hint: {w['hint']})" if w.get("hint") else ""
        _warnings.warn(f"{where}: {w['message']}{hint}", ScenarioWarning, stacklevel=3)


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

//! What one run recorded, indexed for the walk upstream: series by (entity, metric), each
//! scenario event's start and end days as played, and the hold episodes of each link.

use std::collections::BTreeMap;

use chokepoint_engine::{Buyer, EventKind, HoldRecord, Model, RunResult};

/// A run's records with lookups by entity and metric.
pub(super) struct Records<'a> {
    pub model: &'a Model,
    pub result: &'a RunResult,
    /// (entity index, metric) to values.
    series: BTreeMap<(usize, &'a str), &'a [f64]>,
    /// Entity id to its index in `RunResult::entities`.
    entities: BTreeMap<&'a str, usize>,
    /// Per model event: the day it started and the day it ended, as played.
    windows: Vec<(Option<u32>, Option<u32>)>,
}

impl<'a> Records<'a> {
    pub fn new(model: &'a Model, result: &'a RunResult) -> Self {
        let series =
            (result.series.iter()).map(|s| ((s.entity, s.metric.as_str()), s.values.as_slice())).collect();
        let mut entities = BTreeMap::new();
        for (index, entity) in result.entities.iter().enumerate() {
            entities.entry(entity.id.as_str()).or_insert(index);
        }
        let ids: BTreeMap<&str, usize> =
            model.events.iter().enumerate().map(|(index, event)| (event.id.as_str(), index)).collect();
        let mut windows = vec![(None, None); model.events.len()];
        for record in &result.events {
            let Some(&index) = ids.get(record.subject.as_str()) else { continue };
            let window: &mut (Option<u32>, Option<u32>) = &mut windows[index];
            match record.kind {
                EventKind::ControlStarted | EventKind::QuotaStarted | EventKind::ShockStarted => {
                    _ = window.0.get_or_insert(record.day);
                }
                EventKind::ControlEnded | EventKind::QuotaEnded | EventKind::ShockEnded => {
                    _ = window.1.get_or_insert(record.day);
                }
                _ => {}
            }
        }
        Records { model, result, series, entities, windows }
    }

    /// Index of an entity in the result.
    pub fn entity(&self, id: &str) -> Option<usize> {
        self.entities.get(id).copied()
    }

    /// The values of one series, if recorded.
    pub fn series(&self, entity: usize, metric: &str) -> Option<&'a [f64]> {
        self.series.get(&(entity, metric)).copied()
    }

    /// A value of one series on one day (0 when the series or the day is missing).
    pub fn value(&self, entity: usize, metric: &str, day: u32) -> f64 {
        self.series(entity, metric).and_then(|v| v.get(day as usize)).copied().unwrap_or(0.0)
    }

    /// The first day from `from` on with unmet demand (or production lost for want of
    /// inputs): the day the KPIs' time to survive counts to. `None` when the entity never
    /// ran short or its `unmet` series was not recorded.
    pub fn first_short(&self, entity: usize, from: u32) -> Option<u32> {
        let unmet = self.series(entity, "unmet")?;
        (from as usize..unmet.len()).find(|&d| unmet[d] > 0.0).map(|d| d as u32)
    }

    /// The day event `index` started in this run, if it did.
    pub fn started(&self, index: usize) -> Option<u32> {
        self.windows.get(index).and_then(|w| w.0)
    }

    /// The day event `index` ended in this run, if it did.
    pub fn ended(&self, index: usize) -> Option<u32> {
        self.windows.get(index).and_then(|w| w.1)
    }

    /// The hold episodes of one link (supplier facility index, buyer) that began on or
    /// before `day`, in the order they began.
    pub fn holds(&self, supplier: usize, buyer: Buyer, day: u32) -> impl Iterator<Item = &'a HoldRecord> {
        self.result
            .holds
            .iter()
            .filter(move |h| h.supplier.0 as usize == supplier && h.buyer == buyer && h.first_day <= day)
    }
}

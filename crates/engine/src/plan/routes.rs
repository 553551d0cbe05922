//! Trade routes: every (exporter, importer, product) that a shipment can ever take, fixed by
//! the model so that every replicate reports the same routes in the same order, and the
//! route of each link's shipments, direct or leaked through third countries.

use std::ops::Range;

use crate::disruption::Action;
use crate::model::{Model, ProductId, Region};

use super::{SlotPlan, SourcePlan};

/// One route of the trade record: goods of `product` leaving `exporter` for `importer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Route {
    pub exporter: Region,
    pub importer: Region,
    pub product: ProductId,
}

/// The two legs of one `via` region of a leak: supplier to the third country on the day
/// the goods leave, third country to the buyer the leak's extra delay later. `None` for a
/// leg that stays inside one region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Legs {
    pub first: Option<u32>,
    pub second: Option<u32>,
}

/// How leaks under one control on one link are routed: one [`Legs`] per `via` region.
#[derive(Clone, Debug)]
pub(crate) struct LeakPath {
    /// The leaking export control (index into `Model::events`).
    pub event: usize,
    /// Its legs in [`Routes::legs`], in `via` order (empty when `via` is).
    pub legs: Range<usize>,
}

/// The routes of a model and where each link's shipments count.
#[derive(Clone, Debug, Default)]
pub(crate) struct Routes {
    /// Every route, sorted by (exporter code, importer code, product index).
    pub list: Vec<Route>,
    /// Route of each link's direct shipments (index into `list`), `None` for a domestic
    /// link (one per entry of `Plan::sources`).
    pub direct: Vec<Option<u32>>,
    /// Leak paths of each link in [`Routes::leaks`]: one per leaking control that can hold
    /// the link's orders (empty for most links).
    pub link_leaks: Vec<Range<usize>>,
    pub leaks: Vec<LeakPath>,
    pub legs: Vec<Legs>,
}

impl Routes {
    /// The routes of a model whose links are `sources` into `slots`; `facility_rules` are
    /// the controls that may bind each facility (see `Plan::facility_rules`).
    pub(crate) fn new(
        model: &Model,
        slots: &[SlotPlan],
        sources: &[SourcePlan],
        facility_rules: &[Vec<usize>],
    ) -> Routes {
        // A leak leaves the supplier's region (the issuer's, for a control on the issuer's
        // own products) for each `via` region, then goes on to the buyer's region: for
        // every link a control with leakage can hold, i.e. whose destination it targets.
        let leak_paths = |link: &SourcePlan| {
            let origin = model.facilities[link.from].region;
            let destination = slots[link.slot].region;
            facility_rules[link.from].iter().filter_map(move |&event| match &model.events[event].action {
                Action::ExportControl(control)
                    if origin != destination && control.targets.covers(destination) =>
                {
                    control.leakage.as_ref().map(|leakage| (event, &leakage.via))
                }
                _ => None,
            })
        };
        let route = |exporter: Region, importer: Region, product: ProductId| {
            (exporter != importer).then_some(Route { exporter, importer, product })
        };

        let mut list = Vec::new();
        for link in sources {
            let (origin, slot) = (model.facilities[link.from].region, &slots[link.slot]);
            list.extend(route(origin, slot.region, slot.product));
            for (_, via) in leak_paths(link) {
                for &third in via {
                    list.extend(route(origin, third, slot.product));
                    list.extend(route(third, slot.region, slot.product));
                }
            }
        }
        list.sort_unstable();
        list.dedup();

        let index = |route: Option<Route>| {
            route.map(|route| list.binary_search(&route).expect("every route was listed above") as u32)
        };
        let mut direct = Vec::with_capacity(sources.len());
        let mut link_leaks = Vec::with_capacity(sources.len());
        let mut leaks = Vec::new();
        let mut legs = Vec::new();
        for link in sources {
            let (origin, slot) = (model.facilities[link.from].region, &slots[link.slot]);
            direct.push(index(route(origin, slot.region, slot.product)));
            let first_leak = leaks.len();
            for (event, via) in leak_paths(link) {
                let first_leg = legs.len();
                for &third in via {
                    legs.push(Legs {
                        first: index(route(origin, third, slot.product)),
                        second: index(route(third, slot.region, slot.product)),
                    });
                }
                leaks.push(LeakPath { event, legs: first_leg..legs.len() });
            }
            link_leaks.push(first_leak..leaks.len());
        }
        Routes { list, direct, link_leaks, leaks, legs }
    }
}

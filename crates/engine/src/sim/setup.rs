//! Setting up a replicate: the values drawn once per replicate, the steady state at the
//! start (stocks, pipelines, controlled content), and the first day's events.

use crate::disruption::{Action, End, Start};
use crate::dist::Dist;
use crate::plan::{Plan, to_qty};
use crate::result::Ledger;
use crate::rng::{Purpose, StreamRng, entity_key, stream};

use super::*;

impl<'p, 'm> Simulation<'p, 'm> {
    pub(super) fn new(
        plan: &'p Plan<'m>,
        config: RunConfig,
        workspace: &mut Workspace,
        recorded: Option<&[usize]>,
        order: &[(usize, usize)],
    ) -> Self {
        let model = plan.model;
        let horizon = model.horizon_days;
        let RunConfig { seed, replicate } = config;
        let mut ledgers = vec![Ledger::default(); model.products.len()];
        let mut morning = std::mem::take(&mut workspace.morning);
        morning.reset();
        let mut reviews = std::mem::take(&mut workspace.reviews);
        reviews.reset();

        // Scenario events: what each draws once per replicate, and the dated starts.
        let mut draws = Vec::with_capacity(model.events.len());
        for (index, event) in model.events.iter().enumerate() {
            let mut rng = stream(seed, replicate, entity_key(&event.id), Purpose::Parameters);
            let days = |dist: &Dist, rng: &mut StreamRng| {
                dist.sample(rng).round().clamp(0.0, f64::from(horizon)) as u32
            };
            let mut draw = Draws::default();
            // The length is drawn first so that adding other parameters to an event type
            // never changes the ban lengths of existing scenarios.
            if let Some(End::After(dist)) = &event.end {
                draw.length = Some(days(dist, &mut rng));
            }
            if let Start::After { delay, .. } = &event.start {
                draw.delay = days(delay, &mut rng);
            }
            match &event.action {
                Action::ExportControl(control) => {
                    if let Some(licence) = &control.licence {
                        draw.approval = licence.approval.sample(&mut rng).clamp(0.0, 1.0);
                    }
                    if let Some(leakage) = &control.leakage {
                        draw.leak_share = leakage.share.sample(&mut rng).clamp(0.0, 1.0);
                    }
                    // Drawn after the simple form's values, so that those stay as they were.
                    if let Some(licence) = &control.licence {
                        let terms = &licence.terms;
                        draw.approval_by = (terms.approval_by.iter())
                            .map(|rule| rule.approval.sample(&mut rng).clamp(0.0, 1.0))
                            .collect();
                        draw.repeat = terms.repeat.as_ref().map(|d| d.sample(&mut rng).clamp(0.0, 1.0));
                        if let Some(general) = &terms.general {
                            draw.general_share = general.share.sample(&mut rng).clamp(0.0, 1.0);
                        }
                    }
                }
                Action::Quota(quota) => {
                    draw.amount = to_qty(quota.amount.sample(&mut rng).clamp(0.0, crate::model::MAX_UNITS));
                }
                Action::Capacity(shock) => {
                    draw.factor = shock.remaining.sample(&mut rng).clamp(0.0, 1.0);
                    draw.days = days(&shock.recovery, &mut rng);
                }
                Action::Demand(shock) => draw.factor = shock.factor.sample(&mut rng).max(0.0),
                Action::Stockpile(stockpile) => {
                    draw.amount =
                        to_qty(stockpile.amount.sample(&mut rng).clamp(0.0, crate::model::MAX_UNITS));
                }
                Action::Substitute(substitution) => draw.days = days(&substitution.delay, &mut rng),
                Action::Suspend { .. } | Action::Logistics(_) => {}
            }
            if let Start::Day(day) = event.start
                && day < horizon
            {
                morning.schedule(day, Event::Start(index as u32));
            }
            if let Action::ExportControl(control) = &event.action
                && let Some(announcement) = &control.announcement
                && announcement.day < horizon
            {
                morning.schedule(announcement.day, Event::Announce(index as u32));
            }
            draws.push(draw);
        }
        let mut states = vec![EventState::default(); model.events.len()];
        // Stockpiles are held from the start; their events open them for release.
        for &(index, _) in &plan.stockpiles {
            if let Action::Stockpile(stockpile) = &model.events[index].action {
                states[index].left = draws[index].amount;
                ledgers[stockpile.product.0 as usize].initial += i128::from(draws[index].amount);
            }
        }
        // Streams of per-use draws: lane delays and leakage delays.
        for (index, event) in model.events.iter().enumerate() {
            let purpose = match &event.action {
                Action::Logistics(_) => Purpose::Logistics,
                Action::ExportControl(control) if control.leakage.is_some() => Purpose::Leakage,
                _ => continue,
            };
            states[index].rng = Some(stream(seed, replicate, entity_key(&event.id), purpose));
        }

        // Stock on hand and a pipeline in steady state: one day of baseline flow lands on
        // each of the first `lead_days` mornings.
        let mut slots = Vec::with_capacity(plan.slots.len());
        let mut links: Vec<LinkState> =
            plan.sources.iter().map(|s| LinkState { share: s.share, ..LinkState::default() }).collect();
        let mut split = Vec::new();
        for slot in &plan.slots {
            let product = slot.product.0 as usize;
            let mut state = SlotState { on_hand: slot.initial, ..SlotState::default() };
            ledgers[product].initial += i128::from(slot.initial);
            // Nothing is on its way from a plant that is not online yet: only the online
            // sources' shares of the flow are in the pipeline.
            let online = |s: &crate::plan::SourcePlan| model.facilities[s.from].online_day == 0;
            let sources = &plan.sources[slot.sources.clone()];
            let online_share: f64 = sources.iter().filter(|s| online(s)).map(|s| s.share).sum();
            let flow =
                if online_share > 0.0 { round_i64(slot.flow as f64 * online_share.min(1.0)) } else { 0 };
            let shares = sources.iter().map(|s| if online(s) { s.share / online_share } else { 0.0 });
            split::split_by_shares(flow, shares, &mut split);
            for (link, &daily) in slot.sources.clone().zip(&split) {
                if daily == 0 {
                    continue;
                }
                for day in 0..slot.lead_days.min(horizon) {
                    let arrival = Event::Arrive { link: link as u32, qty: daily };
                    morning.schedule(day, arrival);
                }
                // Days past the horizon stay in transit: the ledger counts them at the end.
                links[link].in_transit = i64::from(slot.lead_days) * daily;
                state.in_transit += links[link].in_transit;
            }
            ledgers[product].initial += i128::from(state.in_transit);
            slots.push(state);
        }
        // Qualification delays of alternates, drawn once per replicate per (buyer, alternate).
        for (link, source) in plan.sources.iter().enumerate() {
            let Some(alternate) = source.alternate else { continue };
            let slot = &plan.slots[source.slot];
            let spec = &model.supplies[slot.supply].alternates[alternate];
            let key = slot.transit_key ^ entity_key(&model.facilities[source.from].id);
            let mut rng = stream(seed, replicate, key, Purpose::Parameters);
            let factor = model.adaptation.qualify_factor.clamp(0.0, 1.0);
            links[link].qualify_days =
                (spec.qualify.sample(&mut rng) * factor).round().clamp(0.0, f64::from(horizon)) as u32;
        }
        let facilities = (model.facilities.iter().enumerate())
            .map(|(index, facility)| {
                let mut rng = stream(seed, replicate, entity_key(&facility.id), Purpose::Parameters);
                let capacity = match &facility.capacity {
                    Dist::Const(value) => *value,
                    dist => dist.sample(&mut rng),
                };
                let ramp_days = facility.ramp.sample(&mut rng).max(0.0);
                let output = plan.initial_output[index];
                ledgers[facility.product.0 as usize].initial += i128::from(output);
                FacilityState {
                    capacity: to_qty(capacity.clamp(0.0, crate::model::MAX_RATE)),
                    ramp_days,
                    dynamic: plan.dynamic_capacity[index],
                    output,
                    open_total: 0,
                    diverting: false,
                    day: FacilityDay::default(),
                }
            })
            .collect();
        let sinks = (model.sinks.iter())
            .map(|sink| SinkState {
                rng: stream(seed, replicate, entity_key(&sink.id), Purpose::Demand),
                poisson: PoissonCache::default(),
                noise: match &sink.noise {
                    Noise::Relative(dist) => dist.sampler(),
                    Noise::None | Noise::Poisson => crate::dist::Sampler::Const(0.0),
                },
                day: SinkDay::default(),
            })
            .collect();
        let transit_rngs = plan
            .slots
            .iter()
            .map(|slot| stream(seed, replicate, slot.transit_key, Purpose::Transit))
            .collect();

        // Content: the steady-state shares of the plan, as controlled value.
        let n_rules = plan.content_rules.len();
        let mut rule_of = vec![None; model.events.len()];
        for (rule, &event) in plan.content_rules.iter().enumerate() {
            rule_of[event] = Some(rule);
        }
        let mut slot_content = vec![0.0; plan.slots.len() * n_rules];
        let mut link_content = vec![0.0; plan.sources.len() * n_rules];
        let mut output_content = vec![0.0; model.facilities.len() * n_rules];
        let mut stockpile_content = vec![0.0; plan.stockpiles.len() * n_rules];
        if n_rules > 0 {
            let value_of = |product: crate::model::ProductId| model.products[product.0 as usize].value;
            for (f, facility) in model.facilities.iter().enumerate() {
                let value = value_of(facility.product);
                for rule in 0..n_rules {
                    output_content[f * n_rules + rule] =
                        plan.initial_content[f * n_rules + rule] * value * plan.initial_output[f] as f64;
                }
            }
            for (index, slot) in plan.slots.iter().enumerate() {
                let value = value_of(slot.product);
                for rule in 0..n_rules {
                    let mut share = 0.0;
                    for link in slot.sources.clone() {
                        let source = plan.sources[link];
                        let source_share = plan.initial_content[source.from * n_rules + rule];
                        share += source.share * source_share;
                        link_content[link * n_rules + rule] =
                            source_share * value * links[link].in_transit as f64;
                    }
                    slot_content[index * n_rules + rule] = share * value * slots[index].on_hand as f64;
                }
            }
            for (s, &(event, _)) in plan.stockpiles.iter().enumerate() {
                let Action::Stockpile(stockpile) = &model.events[event].action else { continue };
                for (rule, &control) in plan.content_rules.iter().enumerate() {
                    // A strategic stock of a listed product counts as controlled origin.
                    if let Action::ExportControl(control) = &model.events[control].action
                        && control.products.contains(&stockpile.product)
                    {
                        stockpile_content[s * n_rules + rule] = 1.0;
                    }
                }
            }
        }

        // Day 0's reviews; each schedules its next one. (The daily work is the loop's.)
        for sink in 0..model.sinks.len() as u32 {
            reviews.schedule(0, Event::ReviewSink(sink));
        }
        for (index, facility) in model.facilities.iter().enumerate() {
            let facility_index = index as u32;
            if facility.online_day > 0 && facility.online_day < horizon {
                morning.schedule(facility.online_day, Event::Online(facility_index));
            }
            if !plan.facility_slots[index].is_empty() {
                reviews.schedule(0, Event::ReviewFacility(facility_index));
            }
        }

        // The series of an earlier replicate of this plan are reused, emptied; others are
        // made anew.
        let mut record_order = std::mem::take(&mut workspace.record_order);
        record_order.clear();
        record_order.extend_from_slice(order);
        let n_recorded = recorded.map_or(plan.specs.len(), <[usize]>::len);
        let specs = (0..n_recorded).map(|k| &plan.specs[recorded.map_or(k, |indices| indices[k])]);
        let mut series = std::mem::take(&mut workspace.series);
        let fits = series.len() == n_recorded
            && (series.iter().zip(specs.clone())).all(|(s, spec)| {
                s.entity == spec.entity && s.is_flow == spec.is_flow && s.metric == spec.metric
            });
        if fits {
            for s in &mut series {
                s.values.clear();
                s.values.reserve(horizon as usize);
            }
        } else {
            series = specs
                .map(|spec| Series {
                    entity: spec.entity,
                    metric: spec.metric.clone(),
                    is_flow: spec.is_flow,
                    values: Vec::with_capacity(horizon as usize),
                })
                .collect();
        }
        Simulation {
            plan,
            config,
            morning,
            reviews,
            slots,
            links,
            facilities,
            sinks,
            transit_rngs,
            draws,
            states,
            licences: HashMap::new(),
            authorities: plan.authorities.iter().map(|_| AuthorityState::default()).collect(),
            rule_of,
            slot_content,
            link_content,
            output_content,
            stockpile_content,
            taken: vec![0.0; n_rules],
            prices: vec![1.0; plan.markets.len()],
            market_day: vec![MarketDay::default(); plan.markets.len()],
            released: vec![0; plan.stockpiles.len()],
            trade: record::TradeRecord::new(
                plan.routes.list.len(),
                horizon,
                std::mem::take(&mut workspace.trade),
            ),
            first_disruption: None,
            events: Vec::with_capacity(2 * model.events.len()),
            holds: Vec::new(),
            ledgers,
            series,
            record_order,
            needs: Vec::new(),
            entries: Vec::new(),
            scratch: Vec::new(),
            n_events: 0,
        }
    }
}

//! Benchmarks of the engine (DESIGN.md §7): the event queue on the classic "hold" model,
//! and one replicate of each reference scenario.
//!
//! Run with `cargo bench -p chokepoint-benches`; figures go in docs/performance.md.

use chokepoint_benches::{AI_WORLD, OCTOBER, RARE_EARTH, TWO_ECHELON};
use chokepoint_engine::{
    Action, Calendar, ContentRule, Event, EventQueue, ExportControl, Model, Plan, Region, RunConfig, SimTime,
    Start, Targets, Workspace,
};
use divan::counter::ItemsCount;
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

/// A small, fast generator for hold increments (xorshift64*), so the benchmark measures
/// the queue rather than a cryptographic generator.
struct Increments(u64);

impl Increments {
    /// An exponential increment with a mean of 1,000 ticks.
    #[inline]
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let uniform = (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64;
        (-(1.0 - uniform).ln() * 1000.0) as u64
    }
}

const HOLDS_PER_SAMPLE: usize = 100_000;

/// The hold model: with `pending` events in the queue, pop the earliest and schedule a new
/// one a random increment later. Each hold is one event processed.
#[divan::bench(args = [10_000, 100_000])]
fn hold(bencher: Bencher<'_, '_>, pending: usize) {
    let mut increments = Increments(0x9e37_79b9_7f4a_7c15);
    let mut queue = EventQueue::with_capacity(pending + 1);
    for index in 0..pending {
        queue.schedule(SimTime(increments.next()), index as u32);
    }
    bencher.counter(ItemsCount::new(HOLDS_PER_SAMPLE)).bench_local(|| {
        for _ in 0..HOLDS_PER_SAMPLE {
            let (time, event) = queue.pop().expect("the queue stays full");
            queue.schedule(SimTime(time.0 + increments.next()), black_box(event));
        }
    });
}

/// The hold model on the engine's day calendar (`Calendar`, a timing wheel): with `pending`
/// events waiting, take today's and schedule each again an exponential number of days
/// later (mean 20 days, as shipments are). The cost per event should not grow with the
/// number pending, unlike a heap's.
#[divan::bench(args = [10_000, 100_000])]
fn hold_calendar(bencher: Bencher<'_, '_>, pending: usize) {
    let mut increments = Increments(0x9e37_79b9_7f4a_7c15);
    let mut days = move || (increments.next() / 50) as u32;
    let mut calendar = Calendar::new();
    for index in 0..pending {
        calendar.schedule(days(), index as u32);
    }
    let mut again = Vec::new();
    bencher.counter(ItemsCount::new(HOLDS_PER_SAMPLE)).bench_local(|| {
        let mut held = 0;
        while held < HOLDS_PER_SAMPLE {
            let today = calendar.today();
            let mut index = 0;
            while let Some(event) = calendar.get(index) {
                again.push(black_box(event));
                index += 1;
            }
            calendar.advance();
            for event in again.drain(..) {
                calendar.schedule(today + 1 + days(), event);
            }
            held += index;
        }
    });
}

/// One replicate of the April 2025 rare-earth scenario (365 days, 27 entities).
#[divan::bench]
fn replicate_rare_earth(bencher: Bencher<'_, '_>) {
    let (model, seed) = load(RARE_EARTH);
    bench_replicate(bencher, model, seed);
}

/// The same scenario with a content rule that tracks controlled value through every stock
/// but binds no shipment (its only target is a region no buyer is in): the cost of content
/// tracking alone.
#[divan::bench]
fn replicate_rare_earth_content_tracked(bencher: Bencher<'_, '_>) {
    let (mut model, seed) = load(RARE_EARTH);
    let Some(Action::ExportControl(control)) = model.events.first().map(|e| e.action.clone()) else {
        panic!("the April 2025 scenario opens with its export control")
    };
    let never = Region::new("ZZ").expect("valid code");
    let tracked = ExportControl {
        targets: Targets::Only(vec![never]),
        content: Some(ContentRule { threshold: 0.001, applies_to: Vec::new() }),
        ..control
    };
    model.events.push(Event {
        id: "tracked".into(),
        start: Start::Day(0),
        end: None,
        action: Action::ExportControl(tracked),
    });
    bench_replicate(bencher, model, seed);
}

/// One replicate of the October 2025 package (licences, the 0.1 % content rule, its
/// suspension, leakage and re-sourcing).
#[divan::bench]
fn replicate_october_2025(bencher: Bencher<'_, '_>) {
    let (model, seed) = load(OCTOBER);
    bench_replicate(bencher, model, seed);
}

/// The peers' two-echelon chain (`shared/peers/`), from `examples/two-echelon.toml`: five
/// years, daily. Beside `hand_loop` in docs/performance.md.
#[divan::bench]
fn replicate_two_echelon_file(bencher: Bencher<'_, '_>) {
    let (model, seed) = load(TWO_ECHELON);
    bench_replicate(bencher, model, seed);
}

/// The same chain built with the engine's API (`chokepoint_benches::two_echelon`, equal to
/// the file's model): the scenario format costs nothing per replicate.
#[divan::bench]
fn replicate_two_echelon_api(bencher: Bencher<'_, '_>) {
    bench_replicate(bencher, chokepoint_benches::two_echelon(), chokepoint_benches::TWO_ECHELON_SEED);
}

/// One replicate of the reference AI-chain world (DESIGN.md §7).
#[divan::bench]
fn replicate_ai_world(bencher: Bencher<'_, '_>) {
    let (model, seed) = load(AI_WORLD);
    bench_replicate(bencher, model, seed);
}

/// The model and seed of a bundled scenario.
fn load(path: &str) -> (Model, u64) {
    let scenario = chokepoint_benches::load(path);
    (scenario.model, scenario.seed)
}

/// One replicate after another in one workspace, each result read and handed back, as a
/// sweep's worker thread runs them.
fn bench_replicate(bencher: Bencher<'_, '_>, model: Model, seed: u64) {
    let plan = Plan::new(&model).expect("bundled scenario runs");
    let n_events = plan.run(RunConfig { seed, replicate: 0 }).n_events;
    let mut workspace = Workspace::new();
    let mut replicate = 0;
    bencher.counter(ItemsCount::new(n_events)).bench_local(|| {
        replicate += 1;
        let result = black_box(plan.run_in(RunConfig { seed, replicate }, &mut workspace));
        workspace.recycle(result);
    });
}

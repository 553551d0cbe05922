//! Fixed-memory, exactly mergeable summaries of non-negative values.
//!
//! [`Histogram`] is a log-linear histogram (the layout of HdrHistogram and DDSketch's
//! power-of-two mapping): 16 linear sub-bins in each of the 8 octaves below the largest value
//! seen, one bin for values below that window and one for zeros, plus the exact minimum,
//! maximum and a fixed-point sum for the mean. Its size never changes, whatever the number of
//! values put in.
//!
//! Its state is a function of the multiset of values alone, not of their order: a value's
//! bin depends only on the value and on the largest value seen, and moving the window up
//! when a larger value arrives puts every earlier value exactly where it would have gone had
//! the larger value come first. Counts and the fixed-point sum are integers. So merging
//! summaries built on any split of the values, in any order, gives the same bits as
//! building one summary from all of them: one thread, many threads and many shards agree.
//!
//! Error bound (see `docs/monte-carlo.md`): a quantile is located exactly (counts are exact)
//! and reported as the middle of its bin, clamped to the exact [min, max]. A value `v` in
//! the window lies in a bin no wider than `v / 16`, and the window holds every value at or
//! above `max / 128`; below it, the bin is `(0, max / 128)` at most. So a reported quantile
//! is within `max(v / 32, max / 256)` of the true value `v`: 3.1 % of it, or 0.4 % of the
//! largest value when it is that small. Zeros, the minimum and the maximum are exact. The
//! mean is exact to 10⁻⁶ of a unit.

use serde::{Deserialize, Serialize};

/// Linear sub-bins per octave.
pub const SUB_BINS: usize = 16;
/// Octaves below the largest value that are binned finely.
pub const OCTAVES: usize = 8;
const WINDOW: usize = SUB_BINS * OCTAVES;
/// Slot of exact zeros.
const ZERO: usize = 0;
/// Slot of values below the window.
const UNDER: usize = 1;
/// Slots in all: zero, under, then the window from low to high.
pub const SLOTS: usize = 2 + WINDOW;
/// Fixed-point scale of the sum: the mean is exact to 10⁻⁶ units.
const SCALE: f64 = 1e6;
/// Largest relative error of a quantile at or above the window's floor.
pub const RELATIVE_ERROR: f64 = 1.0 / (2 * SUB_BINS) as f64;

/// Exponent of a positive normal `f64` (`v` in [2^e, 2^(e+1))), and its top 4 mantissa bits.
fn split(v: f64) -> (i32, usize) {
    let bits = v.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32 - 1023;
    let sub = ((bits >> (52 - 4)) & 0xf) as usize;
    (exponent, sub)
}

/// `v` in fixed point, rounded half away from zero: `(v * SCALE).round() as i128`, without
/// a library call to round or a conversion to a wide integer for the values a sweep sees
/// (below 2^52 micro-units: the hot path of every band).
#[inline]
fn fixed_point(v: f64) -> i128 {
    const EXACT: f64 = (1u64 << 52) as f64;
    let scaled = v * SCALE;
    if (0.0..EXACT).contains(&scaled) {
        // Below 2^52 the truncation and the fraction are exact.
        let whole = scaled as i64;
        let rounded = if scaled - whole as f64 >= 0.5 { whole + 1 } else { whole };
        i128::from(rounded)
    } else {
        scaled.round() as i128
    }
}

/// A summary of non-negative values (see the module documentation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "HistogramWire", try_from = "HistogramWire")]
pub struct Histogram {
    counts: [u32; SLOTS],
    /// Exponent of the largest value's octave (the window's top); meaningless while no
    /// positive value has been seen.
    top: i32,
    sum: i128,
    min: f64,
    max: f64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { counts: [0; SLOTS], top: i32::MIN, sum: 0, min: f64::INFINITY, max: f64::NEG_INFINITY }
    }
}

impl Histogram {
    /// Values put in.
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|&c| u64::from(c)).sum()
    }

    /// Adds a value. Negative values and values below the smallest normal `f64` count as
    /// zero; callers check values are finite and non-negative first.
    pub fn insert(&mut self, v: f64) {
        let v = if v >= f64::MIN_POSITIVE { v } else { 0.0 };
        self.sum = self.sum.saturating_add(fixed_point(v));
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        if v == 0.0 {
            self.counts[ZERO] += 1;
            return;
        }
        let (exponent, sub) = split(v);
        if exponent > self.top {
            self.raise(exponent);
        }
        let slot = self.slot(exponent, sub);
        self.counts[slot] += 1;
    }

    fn slot(&self, exponent: i32, sub: usize) -> usize {
        let floor = self.top - (OCTAVES as i32 - 1);
        if exponent < floor { UNDER } else { 2 + (exponent - floor) as usize * SUB_BINS + sub }
    }

    /// Moves the window's top up to `top`, folding octaves that leave it into `UNDER`.
    fn raise(&mut self, top: i32) {
        if self.top == i32::MIN {
            self.top = top;
            return;
        }
        let shift = ((top - self.top) as usize).min(OCTAVES) * SUB_BINS;
        let window = &mut self.counts[2..];
        let folded: u32 = window[..shift].iter().sum();
        window.copy_within(shift.., 0);
        window[WINDOW - shift..].fill(0);
        self.counts[UNDER] += folded;
        self.top = top;
    }

    /// Adds `n` zeros, as `n` calls of `insert(0.0)` would.
    pub fn add_zeros(&mut self, n: u32) {
        if n > 0 {
            self.counts[ZERO] += n;
            self.min = self.min.min(0.0);
            self.max = self.max.max(0.0);
        }
    }

    /// Adds every value of `other`, as if each had been inserted here.
    pub fn merge(&mut self, other: &Histogram) {
        if other.top > self.top {
            self.raise(other.top);
        }
        let mut other = other.clone();
        if self.top > other.top && other.top != i32::MIN {
            other.raise(self.top);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.sum = self.sum.saturating_add(other.sum);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Mean of the values (exact to 10⁻⁶ units); 0 when empty.
    pub fn mean(&self) -> f64 {
        let n = self.count();
        if n == 0 { 0.0 } else { self.sum as f64 / SCALE / n as f64 }
    }

    /// Smallest value seen (0 when empty).
    pub fn min(&self) -> f64 {
        if self.count() == 0 { 0.0 } else { self.min }
    }

    /// Largest value seen (0 when empty).
    pub fn max(&self) -> f64 {
        if self.count() == 0 { 0.0 } else { self.max }
    }

    /// The `q`-quantile by nearest rank (the value at rank ⌈q·n⌉, at least 1), estimated
    /// as the middle of its bin and clamped to [min, max]; 0 when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        let n = self.count();
        if n == 0 {
            return 0.0;
        }
        let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
        let mut seen = 0u64;
        let slot = self
            .counts
            .iter()
            .position(|&c| {
                seen += u64::from(c);
                seen >= rank
            })
            .unwrap_or(SLOTS - 1);
        let floor = self.top.saturating_sub(OCTAVES as i32 - 1);
        let (estimate, bin) = match slot {
            ZERO => (0.0, (0.0, 0.0)),
            UNDER => (0.5 * pow2(floor), (0.0, pow2(floor))),
            _ => {
                let window = slot - 2;
                let octave = pow2(floor + (window / SUB_BINS) as i32);
                let sub = (window % SUB_BINS) as f64;
                let width = octave / SUB_BINS as f64;
                (
                    octave * (1.0 + (sub + 0.5) / SUB_BINS as f64),
                    (octave + sub * width, octave + (sub + 1.0) * width),
                )
            }
        };
        // Within its bin the estimate is a guess: when the mean falls in the same bin, a lower
        // quantile goes no higher than the mean and an upper one no lower, so that a
        // near-constant series never shows its mean outside its own band.
        let mean = self.mean();
        let estimate = if mean >= bin.0 && mean < bin.1 {
            if q < 0.5 {
                estimate.min(mean)
            } else if q > 0.5 {
                estimate.max(mean)
            } else {
                estimate
            }
        } else {
            estimate
        };
        estimate.clamp(self.min, self.max)
    }

    /// The parts of the state, for serialisation.
    pub fn to_wire(&self) -> HistogramWire {
        let bins = self
            .counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(slot, c)| (slot as u16, *c))
            .collect();
        HistogramWire {
            top: (self.top != i32::MIN).then_some(self.top),
            sum: self.sum.to_string(),
            min: (self.count() > 0).then_some(self.min),
            max: (self.count() > 0).then_some(self.max),
            bins,
        }
    }

    /// Rebuilds a histogram from its parts; `None` if they are not consistent.
    pub fn from_wire(wire: &HistogramWire) -> Option<Histogram> {
        let mut h = Histogram {
            top: wire.top.unwrap_or(i32::MIN),
            sum: wire.sum.parse().ok()?,
            ..Default::default()
        };
        for &(slot, count) in &wire.bins {
            *h.counts.get_mut(usize::from(slot))? = count;
        }
        if h.count() > 0 {
            h.min = wire.min?;
            h.max = wire.max?;
        }
        Some(h)
    }
}

/// One cell of a sweep's bands: a [`Histogram`] allocated only once a value other than zero
/// arrives. Most cells of most sweeps see only zeros (the shortage of a buyer that never
/// runs short), so a band costs 16 bytes until it has something to say, and the zeros it
/// counts are folded into its histogram when it is read, merged or written: the bits are
/// those of a histogram that was given every value (a histogram's state depends only on
/// the multiset of its values). It is written as that histogram, so shard files do not
/// change.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(into = "Histogram", from = "Histogram")]
pub struct Band {
    /// Zeros not yet folded into `values`.
    zeros: u32,
    values: Option<Box<Histogram>>,
}

impl Band {
    /// Adds a value, as [`Histogram::insert`] does.
    #[inline]
    pub fn insert(&mut self, v: f64) {
        if v >= f64::MIN_POSITIVE {
            self.values.get_or_insert_with(Default::default).insert(v);
        } else {
            self.zeros += 1;
        }
    }

    /// The histogram of every value added.
    pub fn histogram(&self) -> Histogram {
        let mut histogram = self.values.as_deref().cloned().unwrap_or_default();
        histogram.add_zeros(self.zeros);
        histogram
    }

    /// Adds every value of `other`, as if each had been inserted here.
    pub fn merge(&mut self, other: &Band) {
        self.zeros += other.zeros;
        if let Some(values) = &other.values {
            match &mut self.values {
                Some(mine) => mine.merge(values),
                None => self.values = Some(values.clone()),
            }
        }
    }

    /// Values added.
    pub fn count(&self) -> u64 {
        u64::from(self.zeros) + self.values.as_ref().map_or(0, |h| h.count())
    }

    /// Whether only zeros (or nothing) were added: nothing is allocated.
    pub fn is_zeros(&self) -> bool {
        self.values.is_none()
    }
}

/// Bands are equal when their histograms are: where the zeros are kept is not a value.
impl PartialEq for Band {
    fn eq(&self, other: &Band) -> bool {
        self.histogram() == other.histogram()
    }
}

impl From<Band> for Histogram {
    fn from(band: Band) -> Self {
        band.histogram()
    }
}

impl From<Histogram> for Band {
    fn from(histogram: Histogram) -> Self {
        // Nothing but zeros (or nothing at all): a count, no histogram.
        if histogram.count() == u64::from(histogram.counts[ZERO]) {
            Band { zeros: histogram.counts[ZERO], values: None }
        } else {
            Band { zeros: 0, values: Some(Box::new(histogram)) }
        }
    }
}

impl From<Histogram> for HistogramWire {
    fn from(h: Histogram) -> Self {
        h.to_wire()
    }
}

impl TryFrom<HistogramWire> for Histogram {
    type Error = &'static str;

    fn try_from(wire: HistogramWire) -> Result<Self, Self::Error> {
        Histogram::from_wire(&wire).ok_or("a histogram's bins, sum or bounds are malformed")
    }
}

fn pow2(exponent: i32) -> f64 {
    2f64.powi(exponent)
}

/// A [`Histogram`] as written in a partial result: non-empty slots only, the sum as a
/// decimal string (JSON numbers lose an `i128`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistogramWire {
    top: Option<i32>,
    sum: String,
    min: Option<f64>,
    max: Option<f64>,
    bins: Vec<(u16, u32)>,
}

/// Exact counts of whole days `0..len` (KPIs in days, first days of shortage).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DayCounts {
    counts: Vec<u32>,
}

impl DayCounts {
    /// Counts for days `0..len`.
    pub fn new(len: usize) -> Self {
        DayCounts { counts: vec![0; len] }
    }

    /// Counts one occurrence of `day` (clamped to the last day).
    pub fn insert(&mut self, day: u32) {
        let last = self.counts.len().saturating_sub(1);
        if let Some(c) = self.counts.get_mut((day as usize).min(last)) {
            *c += 1;
        }
    }

    /// Adds `other`'s counts; `false` if the lengths differ.
    pub fn merge(&mut self, other: &DayCounts) -> bool {
        if self.counts.len() != other.counts.len() {
            return false;
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        true
    }

    /// Occurrences counted.
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|&c| u64::from(c)).sum()
    }

    /// Occurrences on each day.
    pub fn counts(&self) -> &[u32] {
        &self.counts
    }

    /// Mean day, `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        let n = self.count();
        let total: u64 = self.counts.iter().enumerate().map(|(d, &c)| d as u64 * u64::from(c)).sum();
        (n > 0).then(|| total as f64 / n as f64)
    }

    /// The `q`-quantile by nearest rank (exact), `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u32> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
        let mut seen = 0u64;
        self.counts
            .iter()
            .position(|&c| {
                seen += u64::from(c);
                seen >= rank
            })
            .map(|d| d as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_near_constant_series_keeps_its_mean_inside_its_band() {
        // 10 runs at 0.626 and 90 at 0.628: one bin, whose middle (0.6406) is clamped to the
        // largest value, 0.628. The mean, 0.6278, is below that: the 5th percentile must not be.
        let mut h = Histogram::default();
        for _ in 0..10 {
            h.insert(0.626);
        }
        for _ in 0..90 {
            h.insert(0.628);
        }
        let mean = h.mean();
        assert!((mean - 0.6278).abs() < 1e-9, "{mean}");
        assert!(
            h.quantile(0.05) <= mean && mean <= h.quantile(0.95),
            "{} {mean} {}",
            h.quantile(0.05),
            h.quantile(0.95)
        );
        assert_eq!(h.quantile(0.95), 0.628);
        // Spread over many bins, the estimates are the bins' as before: the mean moves nothing.
        let mut wide = Histogram::default();
        for v in 1..=100 {
            wide.insert(f64::from(v));
        }
        assert!((wide.quantile(0.5) - 50.0).abs() <= 50.0 / 16.0, "{}", wide.quantile(0.5));
        assert!(wide.quantile(0.05) < 10.0 && wide.quantile(0.95) > 90.0);
    }

    #[test]
    fn a_band_is_the_histogram_of_its_values_in_any_split() {
        // Zeros and positives interleaved, split across two bands in different orders:
        // every route gives the bits of one histogram fed every value.
        let values: Vec<f64> = (0..400).map(|i| if i % 3 == 0 { 0.0 } else { f64::from(i) * 0.37 }).collect();
        let mut whole = Histogram::default();
        values.iter().for_each(|&v| whole.insert(v));
        let mut band = Band::default();
        values.iter().for_each(|&v| band.insert(v));
        assert_eq!(band.histogram(), whole);
        let (mut a, mut b) = (Band::default(), Band::default());
        values
            .iter()
            .rev()
            .enumerate()
            .for_each(|(i, &v)| if i % 2 == 0 { a.insert(v) } else { b.insert(v) });
        b.merge(&a);
        assert_eq!(b.histogram(), whole);
        assert_eq!(b.count(), 400);
        // Only zeros: nothing allocated, min = max = 0, through the wire and back.
        let mut zeros = Band::default();
        (0..7).for_each(|_| zeros.insert(0.0));
        assert!(zeros.is_zeros());
        let h = zeros.histogram();
        assert_eq!((h.count(), h.min(), h.max(), h.quantile(0.95)), (7, 0.0, 0.0, 0.0));
        let back: Band = serde_json::from_str(&serde_json::to_string(&zeros).expect("json")).expect("band");
        assert_eq!(back, zeros);
        let back: Band = serde_json::from_str(&serde_json::to_string(&band).expect("json")).expect("band");
        assert_eq!(back.histogram(), whole);
        // An empty band is an empty histogram.
        assert_eq!(Band::default().histogram(), Histogram::default());
    }

    #[test]
    fn fixed_point_rounds_as_round_does() {
        // Halves round away from zero; the fast path ends at 2^52 micro-units.
        let cases = [
            0.0,
            0.4e-6,
            0.5e-6,
            1.5e-6,
            2.5e-6,
            0.1,
            1.0 / 3.0,
            12_345.678_9,
            4.5e9,
            4.503_599_627_370_495e9,
        ];
        for v in cases {
            assert_eq!(fixed_point(v), (v * SCALE).round() as i128, "{v}");
        }
        assert_eq!(fixed_point(2.5e-6), 3);
        assert_eq!(fixed_point(1e300), i128::MAX);
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x >> 2) % 1e10;
            if v.is_finite() && v >= 0.0 {
                assert_eq!(fixed_point(v), (v * SCALE).round() as i128, "{v}");
            }
        }
    }

    fn exact_quantile(sorted: &[f64], q: f64) -> f64 {
        let n = sorted.len();
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        sorted[rank - 1]
    }

    fn values(seed: u64, n: usize) -> Vec<f64> {
        // A small LCG: spread over 12 octaves, with some zeros and repeated values.
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                match state % 10 {
                    0 => 0.0,
                    1 => 250.0,
                    _ => 1000.0 * 2f64.powf(12.0 * u - 10.0),
                }
            })
            .collect()
    }

    #[test]
    fn quantiles_are_within_the_stated_bound() {
        let data = values(7, 5000);
        let mut h = Histogram::default();
        data.iter().for_each(|&v| h.insert(v));
        let mut sorted = data.clone();
        sorted.sort_by(f64::total_cmp);
        let max = sorted[sorted.len() - 1];
        for q in [0.0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1.0] {
            let (estimate, exact) = (h.quantile(q), exact_quantile(&sorted, q));
            let bound = (exact * RELATIVE_ERROR).max(max / 256.0);
            assert!((estimate - exact).abs() <= bound, "q {q}: {estimate} vs {exact} (bound {bound})");
        }
        let mean = data.iter().sum::<f64>() / data.len() as f64;
        assert!((h.mean() - mean).abs() < 1e-6, "{} vs {mean}", h.mean());
        assert_eq!(h.quantile(0.0), 0.0);
        assert_eq!(h.quantile(1.0), max);
    }

    #[test]
    fn zeros_alone_give_zero() {
        let mut h = Histogram::default();
        (0..10).for_each(|_| h.insert(0.0));
        assert_eq!((h.quantile(0.05), h.quantile(0.95), h.mean(), h.max()), (0.0, 0.0, 0.0, 0.0));
    }

    #[test]
    fn constant_values_are_exact() {
        let mut h = Histogram::default();
        (0..100).for_each(|_| h.insert(5000.0));
        for q in [0.05, 0.5, 0.95] {
            assert_eq!(h.quantile(q), 5000.0);
        }
        assert_eq!(h.mean(), 5000.0);
    }

    #[test]
    fn a_value_lands_in_its_octave_and_sub_bin() {
        // 3.0 = 2^1 × 1.5: octave 1, sub-bin 8 (1.5 = 1 + 8/16); alone, it is the window's top.
        let mut h = Histogram::default();
        h.insert(3.0);
        h.insert(1.0);
        // 1.0 = 2^0: one octave below the top, sub-bin 0. Median of {1, 3} by nearest rank is 1;
        // its bin is [1, 1 + 1/16), middle 1 + 1/32, clamped to min 1 → within the bound.
        assert_eq!(h.top, 1);
        assert_eq!(h.counts[2 + 6 * SUB_BINS], 1); // octave 0 is the 7th of 8 from the floor -6
        assert_eq!(h.counts[2 + 7 * SUB_BINS + 8], 1);
        assert_eq!(h.quantile(0.5), 1.0 + 1.0 / 32.0);
        // A value 2^-7 (8 octaves below 1.0, 7 below the floor's top) goes under the window.
        h.insert(2f64.powi(-7));
        assert_eq!(h.counts[UNDER], 1);
    }

    #[test]
    fn any_split_and_order_merges_to_the_same_bits() {
        let data = values(11, 3000);
        let mut whole = Histogram::default();
        data.iter().for_each(|&v| whole.insert(v));
        for parts in [2, 3, 7] {
            let size = data.len().div_ceil(parts);
            let mut merged = Histogram::default();
            // Merge the parts back to front, each built from its values reversed.
            for chunk in data.chunks(size).rev() {
                let mut part = Histogram::default();
                chunk.iter().rev().for_each(|&v| part.insert(v));
                merged.merge(&part);
            }
            assert_eq!(merged, whole, "{parts} parts");
        }
        // Ascending and descending insertion agree too.
        let mut sorted = data.clone();
        sorted.sort_by(f64::total_cmp);
        let (mut up, mut down) = (Histogram::default(), Histogram::default());
        sorted.iter().for_each(|&v| up.insert(v));
        sorted.iter().rev().for_each(|&v| down.insert(v));
        assert_eq!(up, whole);
        assert_eq!(down, whole);
    }

    #[test]
    fn wire_round_trips() {
        let mut h = Histogram::default();
        values(3, 500).iter().for_each(|&v| h.insert(v));
        let back = Histogram::from_wire(&h.to_wire());
        assert_eq!(back, Some(h));
        assert_eq!(Histogram::from_wire(&Histogram::default().to_wire()), Some(Histogram::default()));
    }

    #[test]
    fn day_counts_give_exact_quantiles() {
        let mut d = DayCounts::new(10);
        for day in [3, 3, 5, 9, 20] {
            d.insert(day);
        }
        // Sorted: 3 3 5 9 9(20 clamped). Median: rank 3 → 5; p20: rank 1 → 3; p100 → 9.
        assert_eq!(d.quantile(0.5), Some(5));
        assert_eq!(d.quantile(0.2), Some(3));
        assert_eq!(d.quantile(1.0), Some(9));
        assert_eq!(d.mean(), Some((3 + 3 + 5 + 9 + 9) as f64 / 5.0));
        assert_eq!(DayCounts::new(4).quantile(0.5), None);
    }
}

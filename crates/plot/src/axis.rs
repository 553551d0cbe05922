//! A linear axis with tick positions chosen by the caller (month starts, round values, row
//! centres). plotters' own `with_key_points` cannot take a label formatter on `f64` axes.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// Values `lo..hi` mapped linearly, with ticks and grid lines at `keys`.
#[derive(Clone, Debug)]
pub(crate) struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub keys: Vec<f64>,
}

impl Axis {
    pub fn new(lo: f64, hi: f64, keys: Vec<f64>) -> Axis {
        let hi = if hi > lo { hi } else { lo + 1.0 };
        Axis { lo, hi, keys }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let fraction = (value - self.lo) / (self.hi - self.lo);
        limit.0 + (fraction * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() { Vec::new() } else { self.keys.clone() }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_linearly_onto_pixels() {
        let axis = Axis::new(0.0, 100.0, vec![0.0, 50.0]);
        assert_eq!(axis.map(&25.0, (100, 500)), 200);
        // Screen y runs downwards: plotters passes the limits reversed.
        assert_eq!(axis.map(&25.0, (500, 100)), 400);
    }
}

//! Uncertain numbers: a constant or a probability distribution, sampled from a named stream.

use rand::Rng;
use rand_distr::{Beta, Distribution, LogNormal, Normal, Poisson, Triangular, Uniform};

/// A number that may be uncertain. Each use in the model says whether it is drawn once per
/// replicate (scenario uncertainty) or at each use (process noise).
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always this value.
    Const(f64),
    /// Uniform on `[low, high]`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Triangular on `[min, max]` with its peak at `mode`.
    Triangular {
        /// Lower bound.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Upper bound.
        max: f64,
    },
    /// Normal with this mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (≥ 0).
        sd: f64,
    },
    /// Log-normal whose own mean and standard deviation (not those of its logarithm) are
    /// given, as analysts state them.
    LogNormal {
        /// Mean of the variable (> 0).
        mean: f64,
        /// Standard deviation of the variable (≥ 0).
        sd: f64,
    },
    /// Beta(a, b) on `[0, 1]`.
    Beta {
        /// Shape a (> 0).
        a: f64,
        /// Shape b (> 0).
        b: f64,
    },
}

/// Why a distribution's parameters cannot be sampled.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct DistError(pub String);

impl Dist {
    /// Checks the parameters, so that sampling never fails later.
    pub fn check(&self) -> Result<(), DistError> {
        let finite = |values: &[f64]| values.iter().all(|v| v.is_finite());
        let problem = match *self {
            Dist::Const(v) if !v.is_finite() => Some("the value must be a finite number"),
            Dist::Uniform { low, high } if !finite(&[low, high]) || low > high => {
                Some("uniform needs finite bounds with low <= high")
            }
            Dist::Triangular { min, mode, max }
                if !(finite(&[min, mode, max]) && min <= mode && mode <= max) =>
            {
                Some("triangular needs finite values with min <= mode <= max")
            }
            Dist::Normal { mean, sd } if !finite(&[mean, sd]) || sd < 0.0 => {
                Some("normal needs a finite mean and a standard deviation >= 0")
            }
            Dist::LogNormal { mean, sd } if !finite(&[mean, sd]) || mean <= 0.0 || sd < 0.0 => {
                Some("lognormal needs a mean > 0 and a standard deviation >= 0")
            }
            Dist::Beta { a, b } if !finite(&[a, b]) || a <= 0.0 || b <= 0.0 => {
                Some("beta needs shapes a > 0 and b > 0")
            }
            _ => None,
        };
        match problem {
            Some(message) => Err(DistError(message.to_owned())),
            None => Ok(()),
        }
    }

    /// The smallest and largest values a draw can take (infinite for unbounded tails).
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Dist::Const(v) => (v, v),
            Dist::Uniform { low, high } => (low, high),
            Dist::Triangular { min, max, .. } => (min, max),
            Dist::Normal { mean, sd: 0.0 } => (mean, mean),
            Dist::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            Dist::LogNormal { mean, sd: 0.0 } => (mean, mean),
            Dist::LogNormal { .. } => (0.0, f64::INFINITY),
            Dist::Beta { .. } => (0.0, 1.0),
        }
    }

    /// The distribution's mean (used for steady-state pipelines at the start of a run).
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Const(v) => v,
            Dist::Uniform { low, high } => (low + high) / 2.0,
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Dist::Normal { mean, .. } | Dist::LogNormal { mean, .. } => mean,
            Dist::Beta { a, b } => a / (a + b),
        }
    }

    /// Draws one value. Parameters must have passed [`Dist::check`]; if they did not, the
    /// mean is returned rather than panicking.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.sampler().sample(rng)
    }

    /// The distribution set up for drawing: what [`Dist::sample`] computes before each draw
    /// (a lognormal's parameters of its logarithm, for example), computed once. Its draws
    /// are [`Dist::sample`]'s, number for number.
    pub fn sampler(&self) -> Sampler {
        match *self {
            Dist::Const(v) => Sampler::Const(v),
            Dist::Uniform { low, high } => {
                if low == high {
                    Sampler::Const(low)
                } else {
                    Uniform::new_inclusive(low, high).map_or(Sampler::Const(low), Sampler::Uniform)
                }
            }
            Dist::Triangular { min, mode, max } => {
                if min == max {
                    Sampler::Const(min)
                } else {
                    Triangular::new(min, max, mode).map_or(Sampler::Const(mode), Sampler::Triangular)
                }
            }
            Dist::Normal { mean, sd } => Normal::new(mean, sd).map_or(Sampler::Const(mean), Sampler::Normal),
            Dist::LogNormal { mean, sd } => {
                // Convert the variable's mean and sd to the parameters of its logarithm.
                let sigma2 = (1.0 + (sd * sd) / (mean * mean)).ln();
                let mu = mean.ln() - sigma2 / 2.0;
                LogNormal::new(mu, sigma2.sqrt()).map_or(Sampler::Const(mean), Sampler::LogNormal)
            }
            Dist::Beta { a, b } => Beta::new(a, b).map_or(Sampler::Const(a / (a + b)), Sampler::Beta),
        }
    }
}

/// A [`Dist`] set up for drawing ([`Dist::sampler`]).
#[derive(Clone, Debug)]
pub enum Sampler {
    /// Always this value (a constant, a degenerate range, or parameters that failed).
    Const(f64),
    /// Uniform.
    Uniform(Uniform<f64>),
    /// Triangular.
    Triangular(Triangular<f64>),
    /// Normal.
    Normal(Normal<f64>),
    /// Lognormal.
    LogNormal(LogNormal<f64>),
    /// Beta.
    Beta(Beta<f64>),
}

impl Sampler {
    /// Draws one value.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Sampler::Const(v) => *v,
            Sampler::Uniform(d) => d.sample(rng),
            Sampler::Triangular(d) => d.sample(rng),
            Sampler::Normal(d) => d.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Beta(d) => d.sample(rng),
        }
    }
}

/// Draws a Poisson count with mean `lambda` (0 when `lambda <= 0`).
pub fn poisson<R: Rng + ?Sized>(lambda: f64, rng: &mut R) -> f64 {
    PoissonCache::default().sample(lambda, rng)
}

/// [`poisson`] for a caller that draws day after day with a mean that rarely changes: the
/// distribution's set-up (logarithms and a log-gamma) is kept for the last mean, so the
/// draws are the same numbers as [`poisson`]'s without the set-up each day.
#[derive(Clone, Debug, Default)]
pub struct PoissonCache {
    last: Option<(u64, Poisson<f64>)>,
}

impl PoissonCache {
    /// Draws a Poisson count with mean `lambda` (0 when `lambda <= 0`).
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&mut self, lambda: f64, rng: &mut R) -> f64 {
        if !(lambda > 0.0 && lambda.is_finite()) {
            return 0.0;
        }
        let key = lambda.to_bits();
        match &self.last {
            Some((last, dist)) if *last == key => dist.sample(rng),
            _ => match Poisson::new(lambda) {
                Ok(dist) => {
                    let draw = dist.sample(rng);
                    self.last = Some((key, dist));
                    draw
                }
                Err(_) => lambda,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    fn sample_mean(dist: &Dist, n: usize) -> f64 {
        let mut rng = stream(1, 0, 0, Purpose::Parameters);
        (0..n).map(|_| dist.sample(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn sample_means_match_theory() {
        // n = 40,000 draws: the standard error is sd/200; allow five of them.
        let cases = [
            (Dist::Uniform { low: 180.0, high: 540.0 }, 104.0),
            (Dist::Triangular { min: 10.0, mode: 20.0, max: 60.0 }, 10.8),
            (Dist::Normal { mean: 63.0, sd: 10.0 }, 10.0),
            (Dist::LogNormal { mean: 35.0, sd: 7.0 }, 7.0),
            (Dist::Beta { a: 2.0, b: 6.0 }, 0.145),
        ];
        for (dist, sd) in cases {
            let mean = sample_mean(&dist, 40_000);
            assert!((mean - dist.mean()).abs() < 5.0 * sd / 200.0, "{dist:?}: {mean}");
        }
    }

    #[test]
    fn check_rejects_bad_parameters() {
        assert!(Dist::Const(f64::NAN).check().is_err());
        assert!(Dist::Uniform { low: 2.0, high: 1.0 }.check().is_err());
        assert!(Dist::Normal { mean: 1.0, sd: -1.0 }.check().is_err());
        assert!(Dist::LogNormal { mean: 0.0, sd: 1.0 }.check().is_err());
        assert!(Dist::Beta { a: 0.0, b: 1.0 }.check().is_err());
        assert!(Dist::Triangular { min: 0.0, mode: 5.0, max: 4.0 }.check().is_err());
        assert!(Dist::Triangular { min: 0.0, mode: 1.0, max: 4.0 }.check().is_ok());
    }
}

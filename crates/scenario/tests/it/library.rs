//! The scenario library: every bundled scenario of `worlds/ai-chain-2025.toml` loads, runs with
//! balanced ledgers, and its headline outcome (who runs short, roughly when) has the shape its
//! sources say. Expectations are written from the sources and from inventory arithmetic on the
//! scenario's inputs (stock days, transit, licence times), never copied from the program.

pub(crate) use super::bundled::run;

mod ai_diffusion;
mod antimony_2024;
mod chemicals_2019;
mod chip_controls;
mod gallium_germanium;
mod graphite_2023;
mod pax_silica_2026_2030;
mod rare_earths_2010;
mod suspended_measures_return;
mod world;

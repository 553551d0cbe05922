//! The engine against inventory theory: a single-echelon base-stock system with a fixed
//! lead time and Poisson demand reaches the textbook fill rate.

use chokepoint_engine::*;

use crate::support::*;

/// E[(X - s)^+] for X ~ Poisson(mean), summed over the pmf.
fn expected_excess(mean: f64, s: f64) -> f64 {
    let mut pmf = (-mean).exp();
    let mut total = 0.0;
    for k in 0..2000 {
        if k > 0 {
            pmf *= mean / k as f64;
        }
        let excess = k as f64 - s;
        if excess > 0.0 {
            total += excess * pmf;
        }
    }
    total
}

#[test]
fn base_stock_with_poisson_demand_reaches_the_textbook_fill_rate() {
    // Periodic review every day, base stock S = 66, lead time L = 3 days, Poisson demand
    // of 20 a day, backlogged. An order placed on day t lands before demand on day t + L,
    // so the stock facing day t + L's demand is S minus the demand of the L - 1 days in
    // between, and the day's new shortage is E[(D_L - S)^+] - E[(D_{L-1} - S)^+], where D_k is
    // Poisson(20 k). Fill rate = 1 - that / 20.
    let (rate, lead, base_stock) = (20.0, 3.0, 66.0);
    let expected = 1.0
        - (expected_excess(rate * lead, base_stock) - expected_excess(rate * (lead - 1.0), base_stock))
            / rate;

    let n_days = 30_000;
    let mut model = model(&["part"], n_days);
    let supplier = facility(&mut model, "supplier", "US", "part", 1e6, &[], (1000.0, 0.0));
    let buyer = sink(&mut model, "buyer", "US", "part", rate, 0.0);
    let spec = &mut model.sinks[buyer.0 as usize];
    spec.noise = Noise::Poisson;
    spec.unmet = Unmet::Backlog;
    spec.stock = Stock::Units(base_stock - rate * lead);
    spec.policy = Policy::Units { reorder_point: None, order_up_to: base_stock, review_days: 1 };
    supply(&mut model, Buyer::Sink(buyer), "part", &[(supplier, 1.0)], lead);

    let result = simulate(&model, 2026);
    let fill = result.kpis("buyer").expect("sink has KPIs").fill_rate;
    // Daily shortages are correlated over about L days; with 30,000 days the standard
    // error of the fill rate is about 0.002 (checked over seeds): allow four of them.
    assert!((fill - expected).abs() < 0.008, "simulated {fill:.4}, theory {expected:.4}");
    assert!(expected > 0.85 && expected < 0.97, "the case should be informative: {expected}");
}

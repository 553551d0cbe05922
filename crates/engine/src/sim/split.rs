//! Exact integer splits of a quantity in proportion to shares or to other quantities.

/// Splits `total` into integer parts proportional to `shares` that sum exactly to `total`:
/// floors first, then one micro-unit each to the largest remainders (ties: first listed).
pub(crate) fn split_by_shares(total: i64, shares: impl Iterator<Item = f64>, out: &mut Vec<i64>) {
    out.clear();
    let mut remainders = Vec::new();
    let mut assigned = 0;
    for (index, share) in shares.enumerate() {
        let ideal = total as f64 * share;
        let part = ideal.floor() as i64;
        out.push(part);
        assigned += part;
        remainders.push((ideal - part as f64, index));
    }
    distribute_remainder(total - assigned, &mut remainders, out);
}

/// Splits `available` among orders in proportion to their quantities (exact integer
/// arithmetic), the parts summing to `available`, which must be below the orders' total.
pub(crate) fn split_proportionally(
    available: i64,
    quantities: impl Iterator<Item = i64> + Clone,
    out: &mut Vec<i64>,
) {
    out.clear();
    let total: i128 = quantities.clone().map(i128::from).sum();
    if total <= 0 {
        out.extend(quantities.map(|_| 0));
        return;
    }
    let mut remainders = Vec::new();
    let mut assigned = 0;
    for (index, qty) in quantities.enumerate() {
        let scaled = i128::from(available) * i128::from(qty);
        let part = (scaled / total) as i64;
        out.push(part);
        assigned += part;
        remainders.push(((scaled % total) as f64 / total as f64, index));
    }
    distribute_remainder(available - assigned, &mut remainders, out);
}

/// Part `index` of `total` split into `n_parts` equal integer parts that sum exactly to
/// `total` (a non-negative quantity): the quotient, plus one micro-unit for each of the
/// first `total mod n_parts` parts (ties to the first listed, as in the splits above).
pub(crate) fn equal_part(total: i64, n_parts: usize, index: usize) -> i64 {
    let n_parts = n_parts.max(1) as i64;
    total / n_parts + i64::from((index as i64) < total % n_parts)
}

fn distribute_remainder(mut left: i64, remainders: &mut [(f64, usize)], out: &mut [i64]) {
    if left <= 0 {
        return;
    }
    remainders.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, index) in remainders.iter().cycle() {
        if left == 0 {
            break;
        }
        out[index] += 1;
        left -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sum_exactly_and_follow_shares() {
        let mut out = Vec::new();
        split_by_shares(10, [0.7, 0.3].into_iter(), &mut out);
        assert_eq!(out, [7, 3]);
        split_by_shares(1, [1.0 / 3.0; 3].into_iter(), &mut out);
        assert_eq!(out, [1, 0, 0]);
        split_proportionally(10, [5, 5, 10].into_iter(), &mut out);
        assert_eq!(out, [3, 2, 5]);
        split_proportionally(7, [1, 1, 1].into_iter(), &mut out);
        assert_eq!(out.iter().sum::<i64>(), 7);
        assert_eq!([0, 1].map(|index| equal_part(10_000_001, 2, index)), [5_000_001, 5_000_000]);
        assert_eq!([0, 1, 2].map(|index| equal_part(5, 3, index)), [2, 2, 1]);
        assert_eq!(equal_part(9, 1, 0), 9);
    }
}

//! The Wilson score interval for a proportion, as used for the PHOF C19-style
//! rate of successful completion without representation (95%: z = 1.959964).

/// z for a two-sided 95% interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval `(lower, upper)` for `successes` out of `n`.
///
/// With `n = 0` there is no information and the interval is the whole of
/// `[0, 1]`. `successes` above `n` is treated as `n` (a proportion cannot
/// exceed 1). Bounds are clamped to `[0, 1]` against rounding.
pub fn wilson_interval(successes: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n_f = n as f64;
    let p = successes.min(n) as f64 / n_f;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n_f;
    let centre = p + z2 / (2.0 * n_f);
    let margin = z * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt();
    // At 0 (or n) successes the bound is exactly 0 (or 1); floating point would miss it slightly.
    let lower = if successes == 0 { 0.0 } else { ((centre - margin) / denominator).clamp(0.0, 1.0) };
    let upper = if successes >= n { 1.0 } else { ((centre + margin) / denominator).clamp(0.0, 1.0) };
    (lower, upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-6
    }

    #[test]
    fn bounds_are_exact_at_none_and_all() {
        assert_eq!(wilson_interval(0, 37, Z_95).0, 0.0);
        assert_eq!(wilson_interval(37, 37, Z_95).1, 1.0);
    }

    #[test]
    fn matches_hand_worked_values() {
        // 47 of 100 at 95%: p = 0.47, z^2 = 3.841459; denominator 1.0384146,
        // centre 0.4892073, margin 0.0996895 -> (0.375108, 0.567111)
        let (lo, hi) = wilson_interval(47, 100, Z_95);
        assert!(close(lo, 0.375_108) && close(hi, 0.567_111), "{lo} {hi}");
        // 1 of 10 at 95%
        let (lo, hi) = wilson_interval(1, 10, Z_95);
        assert!(close(lo, 0.017_876) && close(hi, 0.404_150), "{lo} {hi}");
    }

    #[test]
    fn extremes_stay_inside_zero_one_and_are_not_degenerate() {
        let (lo, hi) = wilson_interval(0, 20, Z_95);
        assert!(close(lo, 0.0) && lo >= 0.0, "{lo}");
        assert!(close(hi, 0.161_125), "{hi}");
        let (lo, hi) = wilson_interval(20, 20, Z_95);
        assert!(close(lo, 0.838_875), "{lo}");
        assert!(close(hi, 1.0) && hi <= 1.0, "{hi}");
    }

    #[test]
    fn empty_denominator_gives_whole_range_and_excess_is_capped() {
        assert_eq!(wilson_interval(0, 0, Z_95), (0.0, 1.0));
        assert_eq!(wilson_interval(12, 10, Z_95), wilson_interval(10, 10, Z_95));
    }

    #[test]
    fn interval_contains_the_proportion_and_narrows_with_n() {
        let (lo1, hi1) = wilson_interval(30, 100, Z_95);
        let (lo2, hi2) = wilson_interval(3000, 10000, Z_95);
        assert!(lo1 < 0.3 && 0.3 < hi1);
        assert!(hi2 - lo2 < hi1 - lo1);
    }
}

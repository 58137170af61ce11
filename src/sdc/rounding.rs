//! Rounding mode (`mode = "round"`): every publishable cell is rounded to the nearest multiple of
//! the base, totals independently of their parts (so tables stop adding up, which the notes say).
//! Nothing is suppressed; rates are computed from the rounded parts.

/// Rounds to the nearest multiple of `base`, halves away from zero (12.5 -> 15 for base 5).
pub fn round_to_base(value: f64, base: i64) -> f64 {
    let b = base as f64;
    (value / b).round() * b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_to_the_nearest_five() {
        assert_eq!(round_to_base(0.0, 5), 0.0);
        assert_eq!(round_to_base(2.0, 5), 0.0);
        assert_eq!(round_to_base(3.0, 5), 5.0);
        assert_eq!(round_to_base(7.0, 5), 5.0);
        assert_eq!(round_to_base(8.0, 5), 10.0);
        assert_eq!(round_to_base(12.5, 5), 15.0);
    }

    #[test]
    fn totals_rounded_independently_need_not_add_up() {
        let parts = [3.0, 3.0, 3.0];
        let total: f64 = parts.iter().sum();
        let rounded_parts: f64 = parts.iter().map(|&p| round_to_base(p, 5)).sum();
        assert_eq!(round_to_base(total, 5), 10.0);
        assert_eq!(rounded_parts, 15.0);
    }
}

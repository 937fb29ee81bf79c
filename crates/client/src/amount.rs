//! Amounts as people read them: decimal amounts of the asset. Minor units
//! (integers) only where asked for, and in JSON as integers.

/// `v` minor units of an asset with `decimals` decimal places, as a decimal
/// string (`25000`, 2 → `250.00`).
pub fn format(v: u128, decimals: u8) -> String {
    if decimals == 0 {
        return v.to_string();
    }
    let scale = 10u128.pow(u32::from(decimals.min(38)));
    format!(
        "{}.{:0width$}",
        v / scale,
        v % scale,
        width = usize::from(decimals.min(38))
    )
}

/// A signed amount (a net position), as [`format`] writes it with a `-`
/// when negative.
pub fn format_signed(v: i128, decimals: u8) -> String {
    let s = format(v.unsigned_abs(), decimals);
    if v < 0 {
        format!("-{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_amounts() {
        assert_eq!(format(25_000, 2), "250.00");
        assert_eq!(format(5, 2), "0.05");
        assert_eq!(format(7, 0), "7");
        assert_eq!(format(u128::from(u64::MAX), 19), "1.8446744073709551615");
        assert_eq!(format_signed(-1_050, 2), "-10.50");
        assert_eq!(format_signed(0, 2), "0.00");
    }
}

//! Amounts on the command line: integers are minor units; `12.34` style is
//! accepted only for assets with decimals, and never with more fractional
//! digits than the asset has.

use anyhow::{bail, Context};

/// Parses `s` for an asset with `decimals` decimal places.
pub fn parse(s: &str, decimals: u8) -> anyhow::Result<u64> {
    let s = s.trim().replace('_', "");
    match s.split_once('.') {
        None => s
            .parse::<u64>()
            .with_context(|| format!("{s:?} is not an amount")),
        Some((whole, frac)) => {
            if decimals == 0 {
                bail!("this asset has no decimals: give the amount as an integer number of units");
            }
            if frac.is_empty()
                || frac.len() > usize::from(decimals)
                || !frac.bytes().all(|b| b.is_ascii_digit())
            {
                bail!("{s:?}: at most {decimals} digits after the point");
            }
            let whole: u64 = if whole.is_empty() {
                0
            } else {
                whole
                    .parse()
                    .with_context(|| format!("{s:?} is not an amount"))?
            };
            let scale = 10u64
                .checked_pow(u32::from(decimals))
                .context("too many decimals")?;
            let mut frac_v: u64 = frac
                .parse()
                .with_context(|| format!("{s:?} is not an amount"))?;
            for _ in frac.len()..usize::from(decimals) {
                frac_v *= 10;
            }
            whole
                .checked_mul(scale)
                .and_then(|w| w.checked_add(frac_v))
                .context("amount overflows 64 bits")
        }
    }
}

/// Formats minor units for display (`12345` with 2 decimals → `123.45`).
pub fn format(v: u64, decimals: u8) -> String {
    if decimals == 0 {
        return v.to_string();
    }
    let scale = 10u64.pow(u32::from(decimals.min(19)));
    format!(
        "{}.{:0width$}",
        v / scale,
        v % scale,
        width = usize::from(decimals)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse("100", 2).unwrap(), 100);
        assert_eq!(parse("12.34", 2).unwrap(), 1234);
        assert_eq!(parse("12.3", 2).unwrap(), 1230);
        assert_eq!(parse(".5", 2).unwrap(), 50);
        assert!(parse("12.345", 2).is_err());
        assert!(parse("1.0", 0).is_err());
        assert!(parse("-1", 2).is_err());
        assert!(parse("1e3", 2).is_err());
        assert!(parse("184467440737095516.16", 2).is_err());
        assert_eq!(format(1234, 2), "12.34");
        assert_eq!(format(5, 2), "0.05");
        assert_eq!(format(7, 0), "7");
    }
}

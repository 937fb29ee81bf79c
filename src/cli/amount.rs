//! Amounts on the command line are what a person reads: decimal amounts of
//! the asset (`250` is 250 CNY, `250.00` and `0.5` too), never with more
//! fractional digits than the asset has. Minor units only where asked for
//! (`--minor-units`), and in `--json` as a separate integer field.

use anyhow::{bail, Context};

/// Parses `s` (minor units when `minor_units`, else a decimal amount) for
/// an asset with `decimals` decimal places; minor units.
pub fn parse_as(s: &str, decimals: u8, minor_units: bool) -> anyhow::Result<u64> {
    if minor_units {
        let t = s.trim().replace('_', "");
        return t
            .parse::<u64>()
            .with_context(|| format!("{s:?} is not an integer number of minor units"));
    }
    parse(s, decimals)
}

/// Parses the decimal amount `s` of an asset with `decimals` decimal
/// places (`250`, `250.00`, `0.5`); minor units.
pub fn parse(s: &str, decimals: u8) -> anyhow::Result<u64> {
    let s = s.trim().replace('_', "");
    let scale = 10u64
        .checked_pow(u32::from(decimals))
        .context("too many decimals")?;
    match s.split_once('.') {
        None => s
            .parse::<u64>()
            .with_context(|| format!("{s:?} is not an amount"))?
            .checked_mul(scale)
            .context("amount overflows 64 bits"),
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
    veil_client::amount::format(u128::from(v), decimals)
}

/// The JSON members of an amount: `name` as a decimal string and
/// `name_minor` as an integer of minor units.
pub fn json_members(
    map: &mut serde_json::Map<String, serde_json::Value>,
    name: &str,
    v: u64,
    decimals: u8,
) {
    map.insert(name.to_owned(), format(v, decimals).into());
    map.insert(format!("{name}_minor"), v.into());
}

/// A JSON object of named amounts, each as [`json_members`] writes it,
/// plus the given other members.
pub fn json_object(
    amounts: &[(&str, u64)],
    decimals: u8,
    other: serde_json::Value,
) -> serde_json::Value {
    let mut map = match other {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    for (name, v) in amounts {
        json_members(&mut map, name, *v, decimals);
    }
    serde_json::Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_amounts_of_the_asset() {
        assert_eq!(parse("250", 2).unwrap(), 25_000);
        assert_eq!(parse("250.00", 2).unwrap(), 25_000);
        assert_eq!(parse("0.5", 2).unwrap(), 50);
        assert_eq!(parse(".5", 2).unwrap(), 50);
        assert_eq!(parse("12.3", 2).unwrap(), 1230);
        assert_eq!(parse("7", 0).unwrap(), 7);
        assert!(parse("1.234", 2).is_err());
        assert!(parse("1.5", 0).is_err());
        assert!(parse("1e3", 2).is_err());
        assert!(parse("-1", 2).is_err());
        assert!(parse("184467440737095516.16", 2).is_err());
        assert_eq!(parse_as("250", 2, true).unwrap(), 250);
        assert!(parse_as("2.5", 2, true).is_err());
        assert_eq!(format(25_000, 2), "250.00");
        assert_eq!(format(5, 0), "5");
        assert_eq!(format(5, 2), "0.05");
    }
}

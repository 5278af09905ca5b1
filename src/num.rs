//! Numeric conversions with their edge cases spelled out, so that no input value can panic or
//! silently wrap: float-to-integer conversions saturate, the way Java's `(long)` casts do.

/// `f` truncated toward zero, saturating at the `i64` range; NaN gives 0 (Java's `(long) f`).
#[allow(clippy::cast_possible_truncation)] // reason: `as` is exactly the saturating conversion
pub(crate) fn saturating_i64(f: f64) -> i64 {
    f as i64
}

/// `f` truncated toward zero, saturating at the `u32` range; NaN gives 0.
#[allow(clippy::cast_possible_truncation)] // reason: `as` is exactly the saturating conversion
pub(crate) fn saturating_u32(f: f64) -> u32 {
    f as u32
}

/// `f` rounded to the nearest `f32` (Elasticsearch's `float` field type), as an `f64`;
/// out-of-range magnitudes become infinite.
#[allow(clippy::cast_possible_truncation)] // reason: the precision loss is the point
pub(crate) fn to_f32_precision(f: f64) -> f64 {
    f64::from(f as f32)
}

/// `f` truncated toward zero, saturating at the `u64` range; NaN and negatives give 0.
#[cfg(target_arch = "wasm32")]
#[allow(clippy::cast_possible_truncation)] // reason: `as` is exactly the saturating conversion
pub(crate) fn saturating_u64(f: f64) -> u64 {
    f as u64
}

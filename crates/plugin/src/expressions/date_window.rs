//! `distinct_times`: the distinct times of a date window's `order_by` column, for which
//! Polars then does the calendar arithmetic (`time - duration`) once each.

use polars::prelude::*;
use polars_alpha_kernels::distinct::{distinct_values, merge_distinct};
use pyo3_polars::derive::{polars_expr, CallerContext};

use super::common::guarded;
use crate::panel::Threads;

fn distinct_times_output(fields: &[Field]) -> PolarsResult<Field> {
    Ok(fields[0].clone())
}

/// The distinct values of the one input, in its dtype and in no set order (the reader of the
/// date window's table sorts it). An integer or temporal column without nulls takes the
/// kernel's table, in pieces across threads; any other, or one with many distinct values
/// against its rows, takes Polars' `unique`.
#[polars_expr(output_type_func=distinct_times_output)]
fn distinct_times(inputs: &[Series], context: CallerContext) -> PolarsResult<Series> {
    guarded(|| {
        let order = &inputs[0];
        let threads = Threads::of(&context, order.len());
        match distinct_physical(order, threads)? {
            // SAFETY: the values are values of the column's own physical type, so valid
            // values of its dtype (a cast would need Polars' time-zone feature to keep a
            // zone).
            Some(physical) => unsafe { physical.from_physical_unchecked(order.dtype()) },
            None => order.unique(),
        }
    })
}

/// Rows of one job of [`distinct_physical`].
const PIECE: usize = 1 << 20;

/// The distinct physical values of an integer or temporal column without nulls (a series of
/// its physical type), or `None`.
fn distinct_physical(order: &Series, threads: Threads) -> PolarsResult<Option<Series>> {
    if order.null_count() != 0 {
        return Ok(None);
    }
    // More than this many distinct values (an eighth of the rows) is not a panel of times
    // repeated per key: the table would outgrow the cache, so Polars' `unique` takes it.
    let most = 1024 + order.len() / 8;
    fn of<T>(ca: &ChunkedArray<T>, most: usize, threads: Threads) -> Option<ChunkedArray<T>>
    where
        T: PolarsNumericType,
        T::Native: Into<i64> + TryFrom<i64>,
    {
        let pieces: Vec<&[T::Native]> = ca
            .downcast_iter()
            .flat_map(|chunk| chunk.values().chunks(PIECE))
            .collect();
        let parts: Option<Vec<Vec<i64>>> = threads
            .map(pieces, |piece| distinct_values(piece, most))
            .into_iter()
            .collect();
        // Each value came from a `T::Native`, so converts back.
        let values: Option<Vec<T::Native>> = merge_distinct(parts?)
            .into_iter()
            .map(|v| T::Native::try_from(v).ok())
            .collect();
        Some(ChunkedArray::from_vec(ca.name().clone(), values?))
    }
    let physical = order.to_physical_repr();
    Ok(match physical.dtype() {
        DataType::Int32 => of(physical.i32()?, most, threads).map(IntoSeries::into_series),
        DataType::Int64 => of(physical.i64()?, most, threads).map(IntoSeries::into_series),
        _ => None,
    })
}

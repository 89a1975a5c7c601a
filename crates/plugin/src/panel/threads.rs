//! The one parallel driver. Every job of every expression runs through [`Threads`], on the
//! thread pool of the polars this plugin links (sized by `POLARS_MAX_THREADS`), or on the
//! calling thread alone when Polars already runs the expression in parallel.

use polars_core::runtime::THREAD_POOL;
use pyo3_polars::derive::CallerContext;
use rayon::prelude::*;

/// Calls on fewer rows run on the calling thread.
pub const PARALLEL_MIN_ROWS: usize = 16_384;

/// Where the jobs of one call run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// Polars' thread pool: no second pool starts, and `POLARS_MAX_THREADS` bounds the work.
    Pool,
    /// The calling thread: Polars runs this call as one of many in parallel (under
    /// `.over()` or `group_by`), and more threads would only contend with its own.
    Caller,
}

impl Threads {
    /// The driver for a plugin call made in `context` on inputs of `rows` rows. A small call
    /// runs on the caller: handing it to the pool and waiting for it costs more than its
    /// work, and under `.over()` Polars makes one such call per group.
    pub fn of(context: &CallerContext, rows: usize) -> Self {
        if context.parallel() || rows < PARALLEL_MIN_ROWS {
            Self::Caller
        } else {
            Self::Pool
        }
    }

    /// Runs `job` on every item, stopping at the first error.
    pub fn try_for_each<J, E>(
        self,
        jobs: Vec<J>,
        job: impl Fn(J) -> Result<(), E> + Sync + Send,
    ) -> Result<(), E>
    where
        J: Send,
        E: Send,
    {
        if self == Self::Caller || jobs.len() < 2 {
            return jobs.into_iter().try_for_each(job);
        }
        THREAD_POOL.install(|| jobs.into_par_iter().try_for_each(job))
    }

    /// `job` of every item, in order.
    pub fn map<J, R>(self, jobs: Vec<J>, job: impl Fn(J) -> R + Sync + Send) -> Vec<R>
    where
        J: Send,
        R: Send,
    {
        if self == Self::Caller || jobs.len() < 2 {
            return jobs.into_iter().map(job).collect();
        }
        THREAD_POOL.install(|| jobs.into_par_iter().map(job).collect())
    }

    /// Appends `f` of each of `from` to `buf`, the rows split across the pool's threads (which
    /// write into `buf`'s place directly, so a fresh buffer's pages are first touched in
    /// parallel too).
    pub fn extend_mapped<S: Sync, T: Send>(
        self,
        buf: &mut Vec<T>,
        from: &[S],
        f: impl Fn(&S) -> T + Sync + Send,
    ) {
        if self == Self::Caller {
            buf.extend(from.iter().map(f));
        } else {
            THREAD_POOL.install(|| buf.par_extend(from.par_iter().map(f)));
        }
    }

    /// `len` copies of `value`, written by the pool's threads (the first touch of a large
    /// buffer's pages is most of its cost).
    pub fn filled<T: Copy + Send + Sync>(self, len: usize, value: T, buf: &mut Vec<T>) {
        if self == Self::Caller {
            buf.resize(buf.len() + len, value);
        } else {
            THREAD_POOL.install(|| buf.par_extend(rayon::iter::repeat_n(value, len)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_drivers_extend_with_every_row_in_order() {
        let from: Vec<i32> = (0..100_000).map(|v| v * 3 - 7).collect();
        let want: Vec<i64> = from.iter().map(|&v| i64::from(v) * 2).collect();
        for threads in [Threads::Caller, Threads::Pool] {
            let mut buf = vec![-1i64];
            threads.extend_mapped(&mut buf, &from, |&v| i64::from(v) * 2);
            assert_eq!(buf[0], -1);
            assert_eq!(buf[1..], want[..]);
        }
    }

    #[test]
    fn both_drivers_run_every_job_in_order() {
        for threads in [Threads::Pool, Threads::Caller] {
            let squares = threads.map((0..100).collect(), |i: i32| i * i);
            assert_eq!(squares, (0..100).map(|i| i * i).collect::<Vec<_>>());
            let first_error =
                threads.try_for_each(
                    (0..100).collect(),
                    |i: i32| {
                        if i == 42 {
                            Err(i)
                        } else {
                            Ok(())
                        }
                    },
                );
            assert_eq!(first_error, Err(42));
            let mut buf = vec![1u8];
            threads.filled(10, 7, &mut buf);
            assert_eq!(buf, [1, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7]);
        }
    }
}

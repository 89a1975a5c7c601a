//! The distinct values of an integer column: the times of a date window, whose calendar
//! arithmetic the caller does once per distinct time. A panel repeats each date once per
//! key, so there are far fewer distinct times than rows.

/// The slot value of an empty slot. The value itself, when it occurs, is kept aside.
const EMPTY: i64 = i64::MIN;

/// The smallest table, in slots (a power of two).
const FIRST_SLOTS: usize = 64;

/// Rows after which a column with as many distinct values as half its rows read is given up.
const EARLY_ROWS: usize = 1 << 16;

/// The distinct values of `values`, ascending; `None` once more than `most` are seen, or
/// more than half the rows read once [`EARLY_ROWS`] are (one long series of distinct times,
/// found early). The caller takes a general method for such a column.
///
/// An open-addressing hash table of the values themselves: per row a multiply, a shift and
/// a compare with one slot that is usually the value's own. A row equal to the row before is
/// skipped, which makes a frame sorted by time one probe per time.
pub fn distinct_values<T: Copy + Into<i64>>(values: &[T], most: usize) -> Option<Vec<i64>> {
    let mut table = Table::new();
    let mut previous: Option<i64> = None;
    for (row, &v) in values.iter().enumerate() {
        let v = v.into();
        if previous == Some(v) {
            continue;
        }
        previous = Some(v);
        if table.insert(v) {
            let (distinct, read) = (table.len(), row + 1);
            if distinct > most || (read >= EARLY_ROWS && 2 * distinct > read) {
                return None;
            }
        }
    }
    Some(table.into_sorted())
}

/// The values of several [`distinct_values`] results, distinct and ascending.
pub fn merge_distinct(parts: Vec<Vec<i64>>) -> Vec<i64> {
    let mut all: Vec<i64> = parts.into_iter().flatten().collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// A set of `i64` with linear probing, kept at most half full.
struct Table {
    slots: Vec<i64>,
    /// `64 - log2(slots.len())`: the hash's top bits index the slots.
    shift: u32,
    len: usize,
    /// Whether [`EMPTY`] itself was inserted.
    has_empty_value: bool,
}

impl Table {
    fn new() -> Self {
        Self {
            slots: vec![EMPTY; FIRST_SLOTS],
            shift: 64 - FIRST_SLOTS.trailing_zeros(),
            len: 0,
            has_empty_value: false,
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    /// The slot a value's probe starts at: Fibonacci hashing, whose top bits mix every bit
    /// of the value, so days, seconds and nanoseconds alike spread over the table.
    #[inline(always)]
    fn home(&self, v: i64) -> usize {
        ((v as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// Inserts `v`; true when it was not in the set.
    #[inline(always)]
    fn insert(&mut self, v: i64) -> bool {
        if v == EMPTY {
            let new = !self.has_empty_value;
            self.has_empty_value = true;
            self.len += usize::from(new);
            return new;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(v);
        loop {
            let slot = self.slots[i];
            if slot == v {
                return false;
            }
            if slot == EMPTY {
                self.slots[i] = v;
                self.len += 1;
                if 2 * self.len > self.slots.len() {
                    self.grow();
                }
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    fn grow(&mut self) {
        let doubled = vec![EMPTY; 2 * self.slots.len()];
        let old = std::mem::replace(&mut self.slots, doubled);
        self.shift -= 1;
        let mask = self.slots.len() - 1;
        for v in old.into_iter().filter(|&v| v != EMPTY) {
            let mut i = self.home(v);
            while self.slots[i] != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = v;
        }
    }

    fn into_sorted(self) -> Vec<i64> {
        let mut values: Vec<i64> = self.slots.into_iter().filter(|&v| v != EMPTY).collect();
        if self.has_empty_value {
            values.push(EMPTY);
        }
        values.sort_unstable();
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn oracle(values: &[i64]) -> Vec<i64> {
        values
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// A panel's times: `keys` keys, each with the days `0..days` at `step` units a day from
    /// `origin`, every `skip`-th day missing for odd keys.
    fn panel_times(keys: usize, days: i64, step: i64, origin: i64, skip: i64) -> Vec<i64> {
        let mut times = Vec::new();
        for k in 0..keys {
            for d in 0..days {
                if k % 2 == 1 && d % skip == 0 {
                    continue;
                }
                times.push(origin + d * step);
            }
        }
        times
    }

    #[test]
    fn panel_times_give_each_time_once_in_order() {
        // Days (Date), nanoseconds (Datetime) before and after the epoch, and the extremes
        // of i64, where a sum or the empty marker could go wrong.
        let cases = [
            panel_times(50, 400, 1, 14_000, 7),
            panel_times(50, 400, 86_400_000_000_000, 1_262_304_000_000_000_000, 5),
            panel_times(30, 300, 86_400, -2_000_000_000, 3),
            vec![
                i64::MIN,
                0,
                i64::MAX,
                i64::MIN,
                i64::MAX,
                -1,
                1,
                i64::MIN + 1,
            ],
            vec![],
            vec![42; 1000],
        ];
        for times in cases {
            assert_eq!(
                distinct_values(&times, usize::MAX),
                Some(oracle(&times)),
                "{times:?}"
            );
        }
    }

    #[test]
    fn narrower_integers_read_as_their_values() {
        let days: Vec<i32> = panel_times(20, 300, 1, -200, 4)
            .into_iter()
            .map(|d| d as i32)
            .collect();
        let wide: Vec<i64> = days.iter().map(|&d| d.into()).collect();
        assert_eq!(distinct_values(&days, usize::MAX), Some(oracle(&wide)));
    }

    #[test]
    fn a_frame_sorted_by_time_and_random_values_match_the_oracle() {
        let mut times: Vec<i64> = panel_times(40, 500, 60, 0, 9);
        times.sort_unstable();
        assert_eq!(distinct_values(&times, 500), Some(oracle(&times)));
        assert_eq!(distinct_values(&times, 499), None);
        // Values drawn from a few thousand, in random order: the table grows several times.
        let mut s = 7u64;
        let drawn: Vec<i64> = (0..200_000)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 33) % 5000) as i64 * 1_000_003 - 7
            })
            .collect();
        assert_eq!(distinct_values(&drawn, usize::MAX), Some(oracle(&drawn)));
    }

    #[test]
    fn many_distinct_values_give_up_early() {
        // All distinct: given up once the early rows are read, whatever `most` allows.
        let all_distinct: Vec<i64> = (0..100_000).map(|v| v * 3).collect();
        assert_eq!(distinct_values(&all_distinct, usize::MAX), None);
        let early: Vec<i64> = (0..EARLY_ROWS as i64 - 1).collect();
        assert_eq!(distinct_values(&early, usize::MAX), Some(early.clone()));
        // A panel sorted by key whose first key has many times is not given up.
        let keyed = panel_times(30, 3000, 1, 0, 11);
        assert_eq!(distinct_values(&keyed, 3000), Some(oracle(&keyed)));
    }

    #[test]
    fn merged_parts_are_the_distinct_values_of_the_whole() {
        let times = panel_times(60, 300, 1, 100, 6);
        let parts: Vec<Vec<i64>> = times
            .chunks(1777)
            .map(|part| distinct_values(part, 1000).expect("few distinct values"))
            .collect();
        assert_eq!(merge_distinct(parts), oracle(&times));
        assert_eq!(merge_distinct(vec![]), Vec::<i64>::new());
    }
}

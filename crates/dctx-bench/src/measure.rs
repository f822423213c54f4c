//! How a figure is taken: medians of runs (interleaved with their
//! references by the callers, to share the machine's noise), percentiles,
//! and the units and ratios they are printed in.

use std::process::Command;
use std::time::{Duration, Instant};

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The median of `v` (sorted in place).
pub fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// `a` as a multiple of `b`.
pub fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// Median wall time of running the command `make` builds, `n` times.
pub fn median_run(mut make: impl FnMut() -> Command, n: usize) -> Duration {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let start = Instant::now();
            let status = make().status().expect("run");
            assert!(status.success() || status.code().is_some());
            start.elapsed()
        })
        .collect();
    times.sort();
    percentile(&times, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles_pick_the_middle_and_the_tail() {
        let ms =
            |v: &[u64]| -> Vec<Duration> { v.iter().map(|&m| Duration::from_millis(m)).collect() };
        assert_eq!(median(&mut ms(&[9, 1, 5])), Duration::from_millis(5));
        let sorted = ms(&(1..=101).collect::<Vec<_>>());
        assert_eq!(percentile(&sorted, 0.5), Duration::from_millis(51));
        assert_eq!(percentile(&sorted, 0.99), Duration::from_millis(100));
        assert_eq!(
            ratio(Duration::from_millis(3), Duration::from_millis(2)),
            1.5
        );
    }
}

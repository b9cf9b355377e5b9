//! Thinning a long series for a chart: at most `max` points, evenly spaced
//! by index, the first and the last always kept.

pub fn downsample<T: Clone>(points: &[T], max: usize) -> Vec<T> {
    sample_indices(points.len(), max)
        .into_iter()
        .map(|i| points[i].clone())
        .collect()
}

/// The positions `downsample` keeps of a series of `len` points: all of them
/// up to `max`, else `max` evenly spread ones, the first and last included.
/// The database reads only these rows of a long series.
pub fn sample_indices(len: usize, max: usize) -> Vec<usize> {
    if len <= max || max < 2 {
        return (0..len).collect();
    }
    let last = len - 1;
    (0..max)
        .map(|i| (i * last + (max - 1) / 2) / (max - 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_short_series_and_thins_long_ones_keeping_the_ends() {
        let short: Vec<u32> = (0..10).collect();
        assert_eq!(downsample(&short, 20), short);
        let long: Vec<u32> = (0..10_000).collect();
        let thin = downsample(&long, 500);
        assert_eq!(thin.len(), 500);
        assert_eq!(thin[0], 0);
        assert_eq!(*thin.last().unwrap(), 9_999);
        assert!(thin.windows(2).all(|w| w[0] < w[1]));
        // Evenly spread: gaps differ by at most one.
        let gaps: Vec<u32> = thin.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().max().unwrap() - gaps.iter().min().unwrap() <= 1);
    }
}

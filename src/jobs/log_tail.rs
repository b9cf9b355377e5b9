//! The end of a job's log for the job page: the last whole lines that fit.

/// How much of a log's end the job page shows.
pub const TAIL_BYTES: u64 = 16 * 1024;

/// Where to start reading a log of `len` bytes to get its last `keep` bytes.
pub fn tail_start(len: u64, keep: u64) -> u64 {
    len.saturating_sub(keep)
}

/// `chunk` read from `start`, without a first line that began before it, and
/// at most `keep` bytes (whole lines, cut at character boundaries).
pub fn whole_lines(chunk: &str, start: u64, keep: usize) -> &str {
    let mut text = chunk;
    if start > 0 {
        text = text.find('\n').map_or("", |n| &text[n + 1..]);
    }
    if text.len() > keep {
        let mut cut = text.len() - keep;
        while !text.is_char_boundary(cut) {
            cut += 1;
        }
        text = &text[cut..];
        text = text.find('\n').map_or(text, |n| &text[n + 1..]);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_is_whole_lines_at_character_boundaries() {
        assert_eq!(tail_start(100, 16), 84);
        assert_eq!(tail_start(10, 16), 0);
        // From the start: everything.
        assert_eq!(whole_lines("a\nb\n", 0, 100), "a\nb\n");
        // From the middle: the partial first line goes.
        assert_eq!(whole_lines("rtial\nstep 2\n", 40, 100), "step 2\n");
        // Too long: cut inside a multi-byte character without panicking.
        let log = "ééééé\nstep 9 €\n";
        for keep in 1..log.len() {
            let tail = whole_lines(log, 0, keep);
            assert!(
                tail.len() <= keep || tail == "step 9 €\n",
                "{keep}: {tail:?}"
            );
            assert!(log.ends_with(tail));
        }
        assert_eq!(whole_lines(log, 0, 12), "step 9 €\n");
    }
}

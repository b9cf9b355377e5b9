//! Thread defaults for training on a CPU. candle's CPU pool spin-waits
//! between ops; on two cores one pool thread (gemm still uses rayon's) was
//! twice as fast on a loaded machine, and it leaves a core for the server
//! that embeds the trainer. `CANDLE_NUM_THREADS` set by the operator wins.

/// Sets `CANDLE_NUM_THREADS=1` unless it is set. Call first thing in `main`,
/// before any other thread starts.
pub fn set_defaults() {
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        // SAFETY: called at the start of main, before any other thread
        // exists that could read the environment concurrently.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", "1") }
    }
}

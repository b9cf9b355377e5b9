//! Fuzzes the dataset validator (run by `scripts/fuzz`, not by the tests):
//! mutated BrightRun files and arbitrary bytes, pushed whole and in random
//! slices. Properties:
//! - it never panics;
//! - the report does not depend on where the file is cut into chunks (the
//!   browser reads 4 MB slices, the server network chunks);
//! - a file it calls valid gives the trainer the same number of examples.
//!
//! `cargo run --release --example fuzz_validator -- SECONDS [SEED_FILE]...`
//! prints executions and findings; a failure is shrunk by proptest and
//! printed, to be kept as a regression test in tests/datasets_bad_input.rs.

use brightrun::datasets::{
    CharEstimate, ValidationLimits, Validator, training_examples, validate_bytes,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Inputs the validator called valid: the fuzzer must reach that path too.
static VALID: AtomicU64 = AtomicU64::new(0);

/// A seed file mutated a few times: byte flips, cuts, splices, repeats.
fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len();
    (
        0..n,
        prop::collection::vec((0u8..6, any::<usize>(), any::<u8>(), 1usize..64), 0..8),
    )
        .prop_map(move |(i, edits)| {
            let mut bytes = seeds[i].clone();
            for (kind, at, byte, len) in edits {
                let at = if bytes.is_empty() {
                    0
                } else {
                    at % bytes.len()
                };
                match kind {
                    0 if !bytes.is_empty() => bytes[at] = byte,
                    1 => bytes.truncate(at),
                    2 => bytes.insert(at, byte),
                    3 => {
                        let end = (at + len).min(bytes.len());
                        bytes.drain(at..end);
                    }
                    4 => {
                        let end = (at + len).min(bytes.len());
                        let copy = bytes[at..end].to_vec();
                        bytes.splice(at..at, copy);
                    }
                    _ => {
                        let special: &[&[u8]] = &[
                            b"\n",
                            b"\"",
                            b"{",
                            b"}",
                            b"[",
                            b"]",
                            b"\\u0000",
                            b"\xff",
                            b"\xe2\x82",
                            b"\r\n",
                            b"null",
                            b"1e999",
                        ];
                        let s = special[byte as usize % special.len()];
                        bytes.splice(at..at, s.iter().copied());
                    }
                }
            }
            bytes
        })
}

fn input(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = (Vec<u8>, Vec<usize>)> {
    let bytes = prop_oneof![
        3 => mutated(seeds),
        1 => prop::collection::vec(any::<u8>(), 0..2048),
    ];
    (bytes, prop::collection::vec(1usize..4096, 0..16))
}

fn outcome_json(bytes: &[u8], cuts: &[usize]) -> String {
    let limits = ValidationLimits::default();
    let out = if cuts.is_empty() {
        validate_bytes(bytes, &CharEstimate, limits)
    } else {
        let mut v = Validator::new(&CharEstimate, limits);
        let mut rest = bytes;
        for &cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (head, tail) = rest.split_at(cut.min(rest.len()));
            v.push(head);
            rest = tail;
        }
        v.finish()
    };
    serde_json::to_string(&out.report).unwrap()
}

fn check(bytes: &[u8], cuts: &[usize]) -> Result<(), TestCaseError> {
    let whole = outcome_json(bytes, &[]);
    let sliced = outcome_json(bytes, cuts);
    prop_assert_eq!(
        &whole,
        &sliced,
        "the report changed with the chunk cuts {:?}",
        cuts
    );
    let report: serde_json::Value = serde_json::from_str(&whole).unwrap();
    if report["valid"] == true {
        VALID.fetch_add(1, Ordering::Relaxed);
        let examples = training_examples(bytes).map_err(|r| {
            TestCaseError::fail(format!(
                "valid for the server, refused for the trainer: {r:?}"
            ))
        })?;
        prop_assert_eq!(
            Some(examples.len() as u64),
            report["stats"]["trainable_examples"].as_u64(),
            "the trainer gets another number of examples"
        );
    }
    Ok(())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    let mut seeds: Vec<Vec<u8>> = args
        .map(|p| std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}")))
        .collect();
    // Small seeds mutate into more shapes per execution than a 100 KB file.
    let mut more = Vec::new();
    for s in &seeds {
        let lines: Vec<&[u8]> = s.split(|&b| b == b'\n').collect();
        for w in lines.windows(3).step_by(7) {
            more.push(w.join(&b'\n'));
        }
    }
    seeds.extend(more);
    seeds.push(b"{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"}]}\n".to_vec());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut executions, mut findings) = (0u64, 0u64);
    let mut round = 0u64;
    while Instant::now() < deadline {
        round += 1;
        let mut runner = TestRunner::new(Config {
            cases: 2000,
            failure_persistence: None,
            rng_seed: proptest::test_runner::RngSeed::Fixed(round),
            ..Config::default()
        });
        let result = runner.run(&input(seeds.clone()), |(bytes, cuts)| check(&bytes, &cuts));
        executions += 2000;
        if let Err(e) = result {
            findings += 1;
            println!("FINDING (round {round}): {e}");
            if findings >= 5 {
                break;
            }
        }
    }
    println!(
        "fuzz_validator: {executions} executions in {seconds} s ({} valid files), {findings} findings",
        VALID.load(Ordering::Relaxed)
    );
    std::process::exit(i32::from(findings > 0));
}

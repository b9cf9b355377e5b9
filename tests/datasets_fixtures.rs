//! The validator on the real EQ-12 files (shared/fixtures, CC-BY-4.0,
//! credit BrightRun): both forms give the same examples and token totals.

use brightrun::datasets::{
    CharEstimate, DatasetFormat, IssueKind, Role, ValidationLimits, Validator, validate_bytes,
};
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn eq12_jsonl_is_valid_with_44_examples_in_12_conversations() {
    let out = validate_bytes(
        &fixture("EQ-12-conversations-demo.jsonl"),
        &CharEstimate,
        ValidationLimits::default(),
    );
    let r = &out.report;
    assert_eq!(r.format, Some(DatasetFormat::BrightrunV4Jsonl));
    assert!(r.valid, "{:#?}", r.errors);
    assert_eq!(r.stats.conversations, 12);
    assert_eq!(r.stats.trainable_examples, 44);
    assert_eq!(r.stats.pairs, 44);
    assert_eq!(r.stats.declared_pairs, Some(89));
    // The header's 89 counts the context pairs the JSONL leaves out.
    let mismatch: Vec<_> = r
        .warnings
        .iter()
        .filter(|w| w.kind == IssueKind::HeaderMismatch)
        .collect();
    assert_eq!(mismatch.len(), 1);
    assert!(mismatch[0].message.contains("89") && mismatch[0].message.contains("44"));
    assert_eq!(r.warning_counts.get(&IssueKind::DuplicateExample), None);
    assert_eq!(out.samples.len(), 3);
    let first = &out.samples[0];
    assert_eq!(first.messages[0].role, Role::System);
    assert_eq!(first.messages.last().unwrap().role, Role::Assistant);
    assert!(r.stats.personas.contains_key("overwhelmed_avoider"));
    assert!(r.stats.topics.contains_key("mortgage_payoff_strategy"));
    assert_eq!(r.stats.personas.values().sum::<u64>(), 44);
}

#[test]
fn eq12_json_has_89_pairs_45_context_and_the_same_44_examples() {
    let out = validate_bytes(
        &fixture("EQ-12-conversations-demo.json"),
        &CharEstimate,
        ValidationLimits::default(),
    );
    let r = &out.report;
    assert_eq!(r.format, Some(DatasetFormat::BrightrunV4Json));
    assert!(r.valid, "{:#?}", r.errors);
    assert_eq!(r.stats.conversations, 12);
    assert_eq!(r.stats.pairs, 89);
    assert_eq!(r.stats.null_target_pairs, 45);
    assert_eq!(r.stats.trainable_examples, 44);
    assert_eq!(r.stats.declared_pairs, Some(89));
    assert!(
        r.warnings
            .iter()
            .all(|w| w.kind != IssueKind::HeaderMismatch),
        "{:#?}",
        r.warnings
    );
}

#[test]
fn both_forms_give_identical_token_statistics() {
    let jsonl = validate_bytes(
        &fixture("EQ-12-conversations-demo.jsonl"),
        &CharEstimate,
        ValidationLimits::default(),
    );
    let json = validate_bytes(
        &fixture("EQ-12-conversations-demo.json"),
        &CharEstimate,
        ValidationLimits::default(),
    );
    assert!(jsonl.report.stats.tokens.total > 10_000);
    assert_eq!(jsonl.report.stats.tokens, json.report.stats.tokens);
    assert_eq!(jsonl.report.stats.histogram, json.report.stats.histogram);
    assert_eq!(jsonl.samples[0].messages, json.samples[0].messages);
}

#[test]
fn any_chunking_gives_the_same_report() {
    let bytes = fixture("EQ-12-conversations-demo.jsonl");
    let whole = validate_bytes(&bytes, &CharEstimate, ValidationLimits::default()).report;
    for size in [1usize, 7, 4096, 65_536] {
        let mut v = Validator::new(&CharEstimate, ValidationLimits::default());
        for chunk in bytes.chunks(size) {
            v.push(chunk);
        }
        assert_eq!(v.finish().report, whole, "chunk size {size}");
    }
}

#[test]
fn over_max_length_examples_are_warned_and_counted() {
    let limits = ValidationLimits {
        max_seq_len: 1000,
        ..ValidationLimits::default()
    };
    let r = validate_bytes(
        &fixture("EQ-12-conversations-demo.jsonl"),
        &CharEstimate,
        limits,
    )
    .report;
    let over = r.stats.tokens.over_max_len;
    assert!(over > 0 && over < 44, "{over}");
    assert_eq!(r.warning_counts[&IssueKind::OverMaxLength], over);
    assert!(r.valid, "long examples are a warning, not an error");
}

#[test]
fn the_fast_path_and_the_detailed_path_agree_on_every_fixture_line() {
    use brightrun::datasets::report::ValidationReport;
    let text = String::from_utf8(fixture("EQ-12-conversations-demo.jsonl")).unwrap();
    let header = text.lines().next().unwrap();
    for (i, line) in text.lines().enumerate().skip(1) {
        // Alone after the header, the line takes the fast path…
        let fast = validate_bytes(
            format!("{header}\n{line}\n").as_bytes(),
            &CharEstimate,
            ValidationLimits::default(),
        );
        // …and as the first record (no header yet) the detailed one.
        let detailed = validate_bytes(
            format!("{line}\n").as_bytes(),
            &CharEstimate,
            ValidationLimits::default(),
        );
        assert_eq!(fast.samples, detailed.samples, "line {}", i + 1);
        let stats = |r: &ValidationReport| {
            (
                r.stats.tokens.clone(),
                r.stats.personas.clone(),
                r.stats.topics.clone(),
                r.stats.arcs.clone(),
            )
        };
        assert_eq!(
            stats(&fast.report),
            stats(&detailed.report),
            "line {}",
            i + 1
        );
    }
}

/// Counts words, and counts a batch only when its result is collected, the
/// way the server's helper thread does it later than it was asked.
struct DeferredWords(std::sync::atomic::AtomicUsize);

impl brightrun::datasets::TokenCounter for DeferredWords {
    fn name(&self) -> String {
        "words".into()
    }
    fn count(&self, text: &str) -> usize {
        text.split_whitespace().count()
    }
    fn start_many(&self, texts: &[&str]) -> brightrun::datasets::PendingCounts {
        self.0
            .fetch_add(texts.len(), std::sync::atomic::Ordering::Relaxed);
        let owned: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
        Box::new(move || owned.iter().map(|t| t.split_whitespace().count()).collect())
    }
}

/// Thousands of pairs (so many batches are in flight one after another),
/// with a duplicate and over-length pairs spread through the file.
fn many_pairs() -> Vec<u8> {
    let jsonl = String::from_utf8(fixture("EQ-12-conversations-demo.jsonl")).unwrap();
    let mut lines = jsonl.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    let pairs: Vec<serde_json::Value> = lines.map(|l| serde_json::from_str(l).unwrap()).collect();
    for copy in 0..40 {
        for (i, p) in pairs.iter().enumerate() {
            let mut p = p.clone();
            p["id"] = format!("{}_{copy}", p["id"].as_str().unwrap()).into();
            let target = p["target_response"].as_str().unwrap().to_string();
            // Copy 7 repeats copy 6 word for word: 44 duplicates, mid-file.
            let n = if copy == 7 { 6 } else { copy };
            let long = if i == 3 && copy % 10 == 0 {
                " more".repeat(5000)
            } else {
                String::new()
            };
            p["target_response"] = format!("{target} ({n}){long}").into();
            out.push_str(&serde_json::to_string(&p).unwrap());
            out.push('\n');
        }
    }
    out.into_bytes()
}

#[test]
fn batched_and_deferred_counting_gives_the_serial_report_in_line_order() {
    let bytes = many_pairs();
    let limits = ValidationLimits {
        max_seq_len: 4096,
        ..ValidationLimits::default()
    };
    let deferred = DeferredWords(Default::default());
    let batched = validate_bytes(&bytes, &deferred, limits).report;
    // The reference: the same counter one line at a time, in a document of
    // its own per line, where nothing is batched.
    let mut serial_total = 0;
    let mut over = 0;
    for line in bytes
        .split(|b| *b == b'\n')
        .skip(1)
        .filter(|l| !l.is_empty())
    {
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        let mut n = 0;
        for m in v["conversation_history"].as_array().unwrap() {
            n += m["content"].as_str().unwrap().split_whitespace().count();
        }
        n += v["system_prompt"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .count();
        n += v["target_response"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .count();
        let history = v["conversation_history"].as_array().unwrap();
        let user = v["current_user_input"].as_str().unwrap();
        if history.last().and_then(|m| m["content"].as_str()) != Some(user) {
            n += user.split_whitespace().count();
        }
        serial_total += n as u64;
        over += u64::from(n as u64 > 4096);
    }
    assert_eq!(batched.stats.trainable_examples, 44 * 40);
    assert_eq!(batched.stats.tokens.total, serial_total);
    assert_eq!(batched.stats.tokens.over_max_len, over);
    assert_eq!(over, 4);
    assert_eq!(
        batched.warning_counts.get(&IssueKind::DuplicateExample),
        Some(&44)
    );
    // Every long distinct text went to the counter once (some texts of a
    // batch are left to the one still in flight, none counted twice).
    let asked = deferred.0.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        asked > 44 * 39 && asked < 44 * 40 + 200,
        "asked for {asked}"
    );
    let lines: Vec<u64> = batched.warnings.iter().filter_map(|w| w.line).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
    // Any chunking, and the plain serial counter, agree.
    let mut v = Validator::new(&CharEstimate, limits);
    for chunk in bytes.chunks(7919) {
        v.push(chunk);
    }
    let chunked = v.finish().report;
    assert_eq!(
        chunked.stats,
        validate_bytes(&bytes, &CharEstimate, limits).report.stats
    );
}

#[test]
fn training_examples_are_every_example_in_file_order_or_the_report() {
    let all =
        brightrun::datasets::training_examples(&fixture("EQ-12-conversations-demo.jsonl")).unwrap();
    assert_eq!(all.len(), 44);
    let json =
        brightrun::datasets::training_examples(&fixture("EQ-12-conversations-demo.json")).unwrap();
    assert_eq!(
        json.iter().map(|e| &e.messages).collect::<Vec<_>>(),
        all.iter().map(|e| &e.messages).collect::<Vec<_>>()
    );
    let broken =
        brightrun::datasets::training_examples(b"{\"_meta\": {}}\n{not json\n").unwrap_err();
    assert!(
        broken
            .errors
            .iter()
            .any(|e| e.kind == IssueKind::InvalidJson && e.line == Some(2))
    );
}

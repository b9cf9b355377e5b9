//! Bad input, each case a test: nothing panics, every problem names its line
//! or field, and good lines around a bad one still count.

use brightrun::datasets::report::ValidationReport;
use brightrun::datasets::{CharEstimate, IssueKind, ValidationLimits, validate_bytes};

const META: &str = r#"{"_meta":{"file_name":"t","total_pairs":2,"version":"4.0.0"}}"#;

fn pair(target: &str) -> String {
    format!(
        r#"{{"id":"p","conversation_id":"c1","system_prompt":"You are kind.","conversation_history":[{{"role":"user","content":"hi"}}],"current_user_input":"hi","target_response":{target}}}"#
    )
}

fn check(text: &[u8]) -> ValidationReport {
    validate_bytes(text, &CharEstimate, ValidationLimits::default()).report
}

fn kinds(r: &ValidationReport) -> Vec<IssueKind> {
    r.errors.iter().map(|e| e.kind).collect()
}

#[test]
fn truncated_last_line_is_named_and_the_rest_counts() {
    let good = pair("\"hello\"");
    let text = format!("{META}\n{good}\n{}", &good[..good.len() - 20]);
    let r = check(text.as_bytes());
    assert!(!r.valid);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].line, Some(3));
    assert!(
        r.errors[0].message.contains("cut off"),
        "{}",
        r.errors[0].message
    );
    assert_eq!(r.stats.trainable_examples, 1);
}

#[test]
fn a_line_that_is_not_json() {
    let text = format!(
        "{META}\n{}\nthis is not json\n{}\n",
        pair("\"a\""),
        pair("\"b\"")
    );
    let r = check(text.as_bytes());
    assert_eq!(kinds(&r), [IssueKind::InvalidJson]);
    assert_eq!(r.errors[0].line, Some(3));
    assert_eq!(r.stats.trainable_examples, 2);
}

#[test]
fn invalid_utf8_names_the_line() {
    let mut text = format!("{META}\n{}\n", pair("\"a\"")).into_bytes();
    text.extend_from_slice(b"{\"x\": \"\xff\xfe\"}\n");
    let r = check(&text);
    assert_eq!(kinds(&r), [IssueKind::InvalidUtf8]);
    assert_eq!(r.errors[0].line, Some(3));
}

#[test]
fn wrong_types_and_missing_fields_name_the_field() {
    let wrong = r#"{"system_prompt":"s","conversation_history":[],"current_user_input":"hi","target_response":42}"#;
    let missing = r#"{"system_prompt":"s","conversation_history":[],"target_response":"ok"}"#;
    let bad_role = r#"{"system_prompt":"s","conversation_history":[{"role":"bot","content":"x"}],"current_user_input":"hi","target_response":"ok"}"#;
    let text = format!("{META}\n{wrong}\n{missing}\n{bad_role}\n");
    let r = check(text.as_bytes());
    let found: Vec<_> = r
        .errors
        .iter()
        .filter_map(|e| Some((e.line?, e.kind, e.field.clone()?)))
        .collect();
    assert_eq!(
        found,
        [
            (2, IssueKind::WrongType, "target_response".to_string()),
            (3, IssueKind::MissingField, "current_user_input".to_string()),
            (
                4,
                IssueKind::InvalidValue,
                "conversation_history[0].role".to_string()
            ),
        ]
    );
    assert!(r.errors.iter().all(|e| !e.hint.is_empty()));
    // Nothing was trainable, and the report says so too.
    assert_eq!(
        r.errors.last().unwrap().kind,
        IssueKind::NoTrainableExamples
    );
}

#[test]
fn a_10_mb_line_is_skipped_with_a_message() {
    let huge = format!(
        "{{\"target_response\": \"{}\"}}",
        "x".repeat(10 * 1024 * 1024)
    );
    let text = format!("{META}\n{}\n{huge}\n{}\n", pair("\"a\""), pair("\"b\""));
    let r = check(text.as_bytes());
    assert_eq!(kinds(&r), [IssueKind::LineTooLong]);
    assert_eq!(r.errors[0].line, Some(3));
    assert_eq!(
        r.stats.trainable_examples, 2,
        "lines after the long one still count"
    );
}

#[test]
fn json_nested_1000_deep_is_an_error_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    let r = check(format!("{{\"training_pairs\": {deep}}}").as_bytes());
    assert_eq!(kinds(&r), [IssueKind::InvalidJson]);
    assert!(
        r.errors[0].message.contains("recursion"),
        "{}",
        r.errors[0].message
    );
    let line = format!("{META}\n{{\"target_response\": {deep}}}\n");
    let r = check(line.as_bytes());
    assert_eq!(r.errors[0].kind, IssueKind::InvalidJson);
    assert_eq!(r.errors[0].line, Some(2));
}

#[test]
fn empty_file_only_meta_and_zero_examples() {
    assert_eq!(kinds(&check(b"")), [IssueKind::EmptyFile]);
    assert_eq!(kinds(&check(b"  \n\n ")), [IssueKind::EmptyFile]);
    let r = check(format!("{META}\n").as_bytes());
    assert_eq!(kinds(&r), [IssueKind::NoTrainableExamples]);
    assert!(r.errors[0].message.contains("no training pairs"));
    let r = check(format!("{META}\n{}\n{}\n", pair("null"), pair("null")).as_bytes());
    assert_eq!(kinds(&r), [IssueKind::NoTrainableExamples]);
    assert_eq!(r.stats.null_target_pairs, 2);
}

#[test]
fn duplicates_empty_targets_and_missing_header_are_warnings() {
    let text = format!(
        "{}\n{}\n{}\n",
        pair("\"same\""),
        pair("\"same\""),
        pair("\"  \"")
    );
    let r = check(text.as_bytes());
    assert!(r.valid, "{:#?}", r.errors);
    let warnings: Vec<_> = r.warnings.iter().map(|w| (w.kind, w.line)).collect();
    assert_eq!(
        warnings,
        [
            (IssueKind::MissingHeader, Some(1)),
            (IssueKind::DuplicateExample, Some(2)),
            (IssueKind::EmptyTarget, Some(3)),
        ]
    );
}

#[test]
fn every_error_is_counted_but_only_200_are_listed() {
    let mut text = format!("{META}\n{}\n", pair("\"a\""));
    for _ in 0..500 {
        text.push_str("not json\n");
    }
    let r = check(text.as_bytes());
    assert_eq!(r.errors.len(), 200);
    assert_eq!(r.error_counts[&IssueKind::InvalidJson], 500);
    assert_eq!(r.errors[199].line, Some(202));
}

#[test]
fn files_over_the_limit_are_refused() {
    let limits = ValidationLimits {
        max_file_bytes: 1024,
        ..ValidationLimits::default()
    };
    let text = format!("{META}\n{}\n", pair(&format!("\"{}\"", "y".repeat(2000))));
    let r = validate_bytes(text.as_bytes(), &CharEstimate, limits).report;
    assert_eq!(kinds(&r), [IssueKind::FileTooLarge]);
}

#[test]
fn openai_chat_jsonl_is_detected_and_checked() {
    let text = concat!(
        r#"{"messages":[{"role":"system","content":"Be kind."},{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}"#,
        "\n",
        r#"{"messages":[{"role":"user","content":"hi"}]}"#,
        "\n",
        r#"{"messages":[{"role":"user","content":5},{"role":"assistant","content":"x"}]}"#,
        "\n",
    );
    let r = check(text.as_bytes());
    assert_eq!(r.format.map(|f| f.as_str()), Some("openai_chat_jsonl"));
    let found: Vec<_> = r.errors.iter().map(|e| (e.line.unwrap(), e.kind)).collect();
    assert_eq!(
        found,
        [(2, IssueKind::InvalidValue), (3, IssueKind::WrongType)]
    );
    assert_eq!(r.stats.trainable_examples, 1);
    assert_eq!(r.stats.conversations, 1);
}

#[test]
fn openai_weights_choose_the_learned_turns_and_bad_ones_name_their_line() {
    let text = concat!(
        r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"first answer here","weight":0},{"role":"user","content":"and?"},{"role":"assistant","content":"second","weight":1}]}"#,
        "\n",
        r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"x","weight":0.5}]}"#,
        "\n",
        r#"{"messages":[{"role":"user","content":"hi","weight":1},{"role":"assistant","content":"x"}]}"#,
        "\n",
        r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"x","weight":"1"}]}"#,
        "\n",
        r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"nothing","weight":0}]}"#,
        "\n",
    );
    let r = check(text.as_bytes());
    let found: Vec<_> = r
        .errors
        .iter()
        .map(|e| (e.line.unwrap(), e.kind, e.field.clone().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            (2, IssueKind::InvalidValue, "messages[1].weight".to_string()),
            (3, IssueKind::InvalidValue, "messages[0].weight".to_string()),
            (4, IssueKind::WrongType, "messages[1].weight".to_string()),
        ]
    );
    assert!(
        r.errors[0].message.contains("0.5"),
        "{}",
        r.errors[0].message
    );
    assert!(r.errors[1].message.contains("user message"));
    let skipped: Vec<_> = r.warnings.iter().map(|w| (w.line, w.kind)).collect();
    assert_eq!(skipped, [(Some(5), IssueKind::EmptyTarget)]);
    assert!(r.warnings[0].message.contains("weight 0"));
    assert_eq!(r.stats.trainable_examples, 1);
    // Only the weighted-1 turn is trained on; both answers are assistant tokens.
    let t = &r.stats.tokens;
    assert!(t.trained > 0 && t.trained < t.assistant, "{t:?}");
}

#[test]
fn brightrun_pairs_train_on_the_target_only() {
    let line = r#"{"id":"p","conversation_id":"c1","system_prompt":"s","conversation_history":[{"role":"user","content":"hi"},{"role":"assistant","content":"a long earlier answer that is context only"},{"role":"user","content":"and now?"}],"current_user_input":"and now?","target_response":"short"}"#;
    let r = check(format!("{META}\n{line}\n").as_bytes());
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let t = &r.stats.tokens;
    assert!(t.trained > 0 && t.trained < t.assistant, "{t:?}");
}

#[test]
fn v3_json_and_json_paths() {
    let text = format!(
        r#"{{"dataset_metadata": {{"total_pairs": 2}}, "training_pairs": [{}, {{"system_prompt": 1, "current_user_input": "x", "target_response": "y"}}]}}"#,
        pair("\"ok\"")
    );
    let r = check(text.as_bytes());
    assert_eq!(r.format.map(|f| f.as_str()), Some("brightrun_v3_json"));
    assert_eq!(r.errors.len(), 1);
    assert_eq!(
        r.errors[0].path.as_deref(),
        Some("training_pairs[1].system_prompt")
    );
    let r = check(b"[1, 2, 3]");
    assert_eq!(kinds(&r), [IssueKind::UnknownFormat]);
}

#[test]
fn text_that_is_not_json_at_all_is_refused_without_buffering() {
    let mut text = b"hello, this is a plain text file\n".to_vec();
    text.extend(std::iter::repeat_n(b'x', 1024 * 1024));
    let r = check(&text);
    assert_eq!(kinds(&r), [IssueKind::UnknownFormat]);
    assert_eq!(r.errors[0].line, Some(1));
}

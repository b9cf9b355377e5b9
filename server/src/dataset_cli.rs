//! `brightrun dataset validate FILE [--json] [--tokenizer PATH] [--max-seq-len N]`:
//! the server's validator and statistics on a local file, before uploading.
//! Exit status 0 when the file is valid, 1 when not (2 for usage errors).

use brightrun::datasets::{ValidationLimits, ValidationReport, Validator};
use std::io::Read;
use std::path::PathBuf;

pub const USAGE: &str = "usage: brightrun dataset validate FILE [--json] [--tokenizer tokenizer.json] [--max-seq-len N]";

pub struct Options {
    pub file: PathBuf,
    pub json: bool,
    pub tokenizer: Option<PathBuf>,
    pub max_seq_len: u64,
}

pub fn parse(args: &[&str]) -> Result<Options, String> {
    let mut file = None;
    let mut json = false;
    let mut tokenizer = None;
    let mut max_seq_len = 2048;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match *arg {
            "--json" => json = true,
            "--tokenizer" => tokenizer = Some(PathBuf::from(it.next().ok_or(USAGE)?)),
            "--max-seq-len" => {
                max_seq_len = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--max-seq-len needs a whole number")?
            }
            other if other.starts_with("--") => {
                return Err(format!("unknown option {other}\n{USAGE}"));
            }
            other => file = Some(PathBuf::from(other)),
        }
    }
    Ok(Options {
        file: file.ok_or(USAGE)?,
        json,
        tokenizer,
        max_seq_len,
    })
}

/// Validates the file; returns the report (the caller prints and exits).
pub fn validate(opts: &Options) -> Result<ValidationReport, String> {
    use brightrun_backend::config::{Vars, tokenizer_threads};
    // The one server setting this command honours; the rest of the
    // configuration is not read, so it cannot stop a local check.
    if let Some(threads) = Vars::with_env(tokenizer_threads) {
        brightrun_backend::tokenizing::set_threads(threads);
    }
    let tokenizer = brightrun_backend::tokenizing::load(opts.tokenizer.as_deref())?;
    let mut file = std::fs::File::open(&opts.file)
        .map_err(|e| format!("cannot open {}: {e}", opts.file.display()))?;
    let limits = ValidationLimits {
        max_seq_len: opts.max_seq_len,
        max_file_bytes: u64::MAX,
        ..ValidationLimits::default()
    };
    let mut v = Validator::new(tokenizer.as_ref(), limits);
    let mut buf = vec![0u8; 4 * 1024 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| format!("cannot read {}: {e}", opts.file.display()))?;
        if n == 0 {
            break;
        }
        v.push(&buf[..n]);
    }
    Ok(v.finish().report)
}

/// The report for people.
pub fn render(report: &ValidationReport) -> String {
    let mut out = String::new();
    let s = &report.stats;
    out.push_str(&format!(
        "format: {}\n",
        report.format.map(|f| f.label()).unwrap_or("not recognised")
    ));
    out.push_str(&format!(
        "{}: {} errors, {} warnings\n",
        if report.valid { "VALID" } else { "INVALID" },
        report.error_total(),
        report.warning_total()
    ));
    for (label, list) in [("error", &report.errors), ("warning", &report.warnings)] {
        for i in list {
            let field = i
                .field
                .as_deref()
                .map(|f| format!(" [{f}]"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {label} {}{field}: {}\n    fix: {}\n",
                i.location(),
                i.message,
                i.hint
            ));
        }
    }
    out.push_str(&format!(
        "conversations {}, pairs {}{}, trainable examples {}, context pairs {}\n",
        s.conversations,
        s.pairs,
        s.declared_pairs
            .map(|d| format!(" (header says {d})"))
            .unwrap_or_default(),
        s.trainable_examples,
        s.null_target_pairs
    ));
    let t = &s.tokens;
    out.push_str(&format!(
        "tokens ({}): total {}, assistant {}, learned {}, per example min {} / max {} / mean {} / median {} / p95 {}, over {} tokens: {}\n",
        s.tokenizer, t.total, t.assistant, t.trained, t.min, t.max, t.mean, t.median, t.p95, s.max_seq_len, t.over_max_len
    ));
    out
}

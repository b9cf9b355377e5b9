//! `brightrun-trainer export --base NAME --adapter DIR --format FORMAT --out DIR`:
//! one JSON line per progress event on stdout (`{"event":"progress",…}`),
//! then `{"event":"done","files":[…]}`; on failure exit 1 with the reason
//! on stderr.

use super::{ExportFormat, ExportJob, ExportProgress};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

/// The flags `export` takes.
pub const FLAGS: [&str; 4] = ["--base", "--adapter", "--format", "--out"];

pub struct ExportArgs {
    pub base: String,
    pub adapter: PathBuf,
    pub format: ExportFormat,
    pub out: PathBuf,
}

/// The parsed `--name value` pairs; Err is a usage error.
pub fn parse(flags: Vec<(String, String)>) -> Result<ExportArgs, String> {
    let get = |name: &str| {
        flags
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("`export` needs {name}"))
    };
    let format = get("--format")?;
    let format = ExportFormat::parse(&format).ok_or_else(|| {
        let known: Vec<&str> = ExportFormat::ALL.iter().map(|f| f.as_str()).collect();
        format!("--format `{format}` is not one of {}", known.join(", "))
    })?;
    Ok(ExportArgs {
        base: get("--base")?,
        adapter: get("--adapter")?.into(),
        format,
        out: get("--out")?.into(),
    })
}

pub fn run(args: &ExportArgs, cancel: &AtomicBool) -> ExitCode {
    let job = ExportJob {
        base_model: &args.base,
        adapter_dir: &args.adapter,
        format: args.format,
        out_dir: &args.out,
        cancel: Some(cancel),
    };
    let mut print = |p: ExportProgress| println!("{}", progress_line(&p));
    match super::run(&job, &mut print) {
        Ok(files) => {
            println!("{}", serde_json::json!({"event": "done", "files": files}));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn progress_line(p: &ExportProgress) -> serde_json::Value {
    serde_json::json!({"event": "progress", "stage": p.stage, "done": p.done, "total": p.total})
}

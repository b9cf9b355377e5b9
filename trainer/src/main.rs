//! `brightrun-trainer run --spec job.json` trains one job (for Ray,
//! Kubernetes, Slurm); `brightrun-trainer serve` is the cluster API;
//! `brightrun-trainer export` writes a trained adapter out as a merged
//! model or GGUF.

use brightrun_trainer::device;
use brightrun_trainer::export;
use brightrun_trainer::report::Reporter;
use brightrun_trainer::spec::{JobSpec, Output};
use brightrun_trainer::train::{self, Event, TrainOutcome};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "\
brightrun-trainer: BrightRun's LoRA trainer

USAGE:
    brightrun-trainer run --spec JOB.json [--work-dir DIR]
        Trains one job. Prints one JSON line per event to stdout; exits 0 when
        it completes, 1 when it fails (the reason on stderr). The work dir
        holds checkpoints: run again with the same one to resume. Default: the
        spec's output folder, or output.upload.work_dir, or
        $TMPDIR/brightrun-trainer/<job_id>. An export spec (one with
        `export_id` and `upload`, as the Ray backend sends) runs that export
        instead, PUTting its view and files to the spec's upload URLs.

    brightrun-trainer serve --bind ADDR --data-dir DIR [--token TOKEN] [--concurrency N]
                            [--models-dir MODELS]
        Serves the cluster API on ADDR (e.g. 127.0.0.1:8080) with the job
        table in DIR. Every request needs `Authorization: Bearer TOKEN`; the
        token comes from --token or, better (not visible in ps), the
        BRIGHTRUN_TRAINER_TOKEN environment variable. N jobs train at once
        (default 1). SIGINT/SIGTERM stop it; running jobs resume on restart.
        Jobs name their inputs and outputs by http(s) URL only, and a base
        model by its folder name in MODELS (default DIR/models).

    brightrun-trainer export --base NAME --adapter DIR --format FORMAT --out DIR
        Exports a trained adapter over its base model (NAME: tiny-llama or a
        local Hugging Face folder) into DIR: FORMAT `merged` (a Hugging Face
        folder), `gguf-f16`, `gguf-q8_0`, `gguf-q4_k_m` (llama.cpp) or
        `gguf-lora` (the adapter alone, for llama.cpp's --lora). Prints one
        JSON line per progress event, then one with the files written;
        exits 1 when it fails (the reason on stderr).

    brightrun-trainer --help
";

fn main() -> ExitCode {
    brightrun_trainer::threads::set_defaults();
    brightrun_trainer::alloc::keep_freed_pages();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => match parse_run(&args[1..]) {
            Ok(a) => run(a),
            Err(e) => usage_error(&e),
        },
        Some("serve") => match parse_serve(&args[1..]) {
            Ok(a) => serve(a),
            Err(e) => usage_error(&e),
        },
        Some("export") => {
            match parse_flags(&args[1..], &export::cli::FLAGS).and_then(export::cli::parse) {
                Ok(a) => export::cli::run(&a, &cancel_on_signal()),
                Err(e) => usage_error(&e),
            }
        }
        Some("--help" | "-h" | "help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => usage_error(&format!("unknown command `{other}`")),
        None => usage_error("no command given"),
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\n{USAGE}");
    ExitCode::from(2)
}

/// `--name value` pairs; `--help` anywhere prints the usage.
fn parse_flags(args: &[String], known: &[&str]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--help" || arg == "-h" {
            print!("{USAGE}");
            std::process::exit(0);
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        if !known.contains(&name) {
            return Err(format!("unknown argument `{arg}`"));
        }
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .cloned()
                .ok_or_else(|| format!("`{name}` needs a value"))?,
        };
        out.push((name.to_string(), value));
    }
    Ok(out)
}

struct RunArgs {
    /// A path, or an http(s) URL (e.g. signed).
    spec: String,
    work_dir: Option<PathBuf>,
}

fn parse_run(args: &[String]) -> Result<RunArgs, String> {
    let mut spec = None;
    let mut work_dir = None;
    for (name, value) in parse_flags(args, &["--spec", "--work-dir"])? {
        match name.as_str() {
            "--spec" => spec = Some(value),
            _ => work_dir = Some(PathBuf::from(value)),
        }
    }
    Ok(RunArgs {
        spec: spec.ok_or("`run` needs --spec JOB.json")?,
        work_dir,
    })
}

struct ServeArgs {
    bind: SocketAddr,
    data_dir: PathBuf,
    models_dir: Option<PathBuf>,
    token: Option<String>,
    concurrency: usize,
}

fn parse_serve(args: &[String]) -> Result<ServeArgs, String> {
    let (mut bind, mut data_dir, mut token, mut concurrency) = (None, None, None, 1);
    let mut models_dir = None;
    let known = [
        "--bind",
        "--data-dir",
        "--token",
        "--concurrency",
        "--models-dir",
    ];
    for (name, value) in parse_flags(args, &known)? {
        match name.as_str() {
            "--bind" => {
                bind = Some(value.parse::<SocketAddr>().map_err(|e| {
                    format!("--bind `{value}` is not an address like 127.0.0.1:8080: {e}")
                })?)
            }
            "--data-dir" => data_dir = Some(PathBuf::from(value)),
            "--models-dir" => models_dir = Some(PathBuf::from(value)),
            "--token" => token = Some(value),
            _ => {
                concurrency = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| format!("--concurrency `{value}` must be a whole number >= 1"))?
            }
        }
    }
    Ok(ServeArgs {
        bind: bind.ok_or("`serve` needs --bind ADDR (e.g. 127.0.0.1:8080)")?,
        data_dir: data_dir.ok_or("`serve` needs --data-dir DIR")?,
        models_dir,
        token,
        concurrency,
    })
}

/// One event as a JSON line.
fn event_line(event: &Event) -> String {
    serde_json::to_value(event)
        .unwrap_or_else(|e| serde_json::json!({"event": "error", "message": e.to_string()}))
        .to_string()
}

fn default_work_dir(spec: &JobSpec) -> PathBuf {
    match &spec.output {
        Output::Folder(f) => PathBuf::from(f),
        Output::Upload {
            work_dir: Some(w), ..
        } => PathBuf::from(w),
        Output::Upload { work_dir: None, .. } => {
            let name: String = spec
                .job_id
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            std::env::temp_dir().join("brightrun-trainer").join(name)
        }
    }
}

fn run(args: RunArgs) -> ExitCode {
    let Some(text) = read_spec_text(&args.spec) else {
        return ExitCode::from(1);
    };
    if is_export_spec(&text) {
        return run_export(&text, args.work_dir);
    }
    let spec = match JobSpec::from_json(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: the spec: {e}");
            return ExitCode::from(1);
        }
    };
    let work_dir = args.work_dir.unwrap_or_else(|| default_work_dir(&spec));
    let cancel = cancel_on_signal();

    // The device first. On a scheduler's node (Ray) CUDA_VISIBLE_DEVICES
    // shows the trainer only the GPUs it was given: a job asking for a GPU
    // that sees none fails here, saying so, instead of training on the CPU.
    let placed = device::choose(spec.device, spec.dtype, device::detected());
    let mut reporter = spec
        .report
        .clone()
        .map(|urls| Reporter::new(urls, &spec.job_id, &work_dir));
    if let Some(r) = reporter.as_mut() {
        if let Ok(c) = &placed {
            r.set_device(c.info.clone());
        }
        r.begin();
    }
    let mut on_event = |event: &Event| {
        println!("{}", event_line(event));
        if let Some(r) = reporter.as_mut() {
            r.on_event(event);
        }
    };
    let result = match placed {
        Ok(_) => train::run_job(&spec, &work_dir, &mut on_event, &cancel),
        Err(e) => Err(e),
    };
    if let Some(r) = reporter.as_mut()
        && let Err(e) = r.finish(&result)
    {
        eprintln!("error: the final status did not reach the server: {e}");
        return ExitCode::from(1);
    }
    print_result(result)
}

/// The spec's text from a file or a URL; None (the error printed) when it
/// cannot be read.
fn read_spec_text(from: &str) -> Option<String> {
    let text = if from.starts_with("http://") || from.starts_with("https://") {
        brightrun_trainer::transfer::get(from, brightrun_trainer::transfer::MAX_SPEC_BYTES)
            .map_err(|e| e.to_string())
            .and_then(|b| String::from_utf8(b).map_err(|e| e.to_string()))
    } else {
        std::fs::read_to_string(from).map_err(|e| e.to_string())
    };
    text.map_err(|e| eprintln!("error: reading the spec: {e}"))
        .ok()
}

/// An export spec is told from a job spec by its `export_id`.
fn is_export_spec(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v.get("export_id").is_some())
}

/// `run` with an export spec: the export, its view and files PUT to the
/// spec's upload URLs (in `work_dir`, by default a temporary folder per
/// export, removed at the end).
fn run_export(text: &str, work_dir: Option<PathBuf>) -> ExitCode {
    let spec = match serde_json::from_str::<brightrun::cluster::ExportSpec>(text)
        .map_err(|e| e.to_string())
        .and_then(|s| s.check().map(|()| s).map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: the export spec: {e}");
            return ExitCode::from(1);
        }
    };
    let chosen = work_dir.is_some();
    let dir = work_dir.unwrap_or_else(|| {
        std::env::temp_dir()
            .join("brightrun-exports")
            .join(&spec.export_id)
    });
    let result = export::job::run_job(&spec, &dir, &cancel_on_signal());
    if !chosen {
        let _ = std::fs::remove_dir_all(&dir);
    }
    match result {
        Ok(()) => {
            println!(
                "{}",
                serde_json::json!({"event": "completed", "export_id": spec.export_id})
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// A flag SIGINT/SIGTERM set: the run stops at its next step; its
/// checkpoints stay.
fn cancel_on_signal() -> Arc<AtomicBool> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    std::thread::spawn(move || {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            rt.block_on(shutdown_signal());
            eprintln!("stopping at the next step");
            flag.store(true, Ordering::SeqCst);
        }
    });
    cancel
}

/// The run's last line, `completed` or `failed`, and its exit code.
fn print_result(result: brightrun_trainer::Result<TrainOutcome>) -> ExitCode {
    match result {
        Ok(outcome) => {
            let done = serde_json::json!({
                "event": "completed",
                "adapter_dir": outcome.adapter_dir,
                "steps": outcome.steps,
                "final_loss": outcome.final_loss,
                "best_val_loss": outcome.best_val_loss,
                "stopped_early": outcome.stopped_early,
            });
            println!("{done}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!(
                "{}",
                serde_json::json!({"event": "failed", "error": e.to_string()})
            );
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let token = args
        .token
        .or_else(|| std::env::var("BRIGHTRUN_TRAINER_TOKEN").ok())
        .map(|t| t.trim().to_string())
        .unwrap_or_default();
    if token.is_empty() {
        eprintln!(
            "error: `serve` needs an API token: set BRIGHTRUN_TRAINER_TOKEN (or pass --token); \
             every request must then send `Authorization: Bearer <token>`"
        );
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(async {
        let config = brightrun_trainer::serve::Config {
            bind: args.bind,
            data_dir: args.data_dir.clone(),
            token,
            concurrency: args.concurrency,
            max_resumes: brightrun_trainer::serve::MAX_RESUMES,
            inputs: brightrun_trainer::serve::Inputs::Remote {
                models_dir: args
                    .models_dir
                    .clone()
                    .unwrap_or_else(|| args.data_dir.join("models")),
            },
        };
        let server = match brightrun_trainer::serve::start(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!(
                    "error: serving on {} with data in {}: {e}",
                    args.bind,
                    args.data_dir.display()
                );
                return ExitCode::from(1);
            }
        };
        println!("listening on {}", server.addr());
        shutdown_signal().await;
        tracing::info!("stopping: running jobs resume on the next start");
        // A step on a big model can take a while; do not hang on it forever.
        if tokio::time::timeout(Duration::from_secs(60), server.stop())
            .await
            .is_err()
        {
            tracing::warn!("a job did not reach a step boundary within 60 s; exiting anyway");
        }
        ExitCode::SUCCESS
    });
    // Blocking threads still in a step are not waited for.
    runtime.shutdown_timeout(Duration::from_secs(1));
    code
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

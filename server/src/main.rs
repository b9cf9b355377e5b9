//! `brightrun`: the server binary.
//!
//! ```text
//! brightrun [serve]                 start the web server (the default)
//! brightrun migrate                 apply database migrations and exit
//! brightrun database serve --data-dir DIR [--url-file FILE] [--ephemeral]
//!                                   run only the embedded PostgreSQL (used by the test command)
//! brightrun dataset validate FILE [--json] [--tokenizer PATH] [--max-seq-len N]
//!                                   check a dataset file before uploading it
//! brightrun site prepare --bindgen DIR --css FILE --out PKG_DIR
//!                                   hash, compress and place the built bundle (scripts/lib.sh)
//! ```

use brightrun_backend::config::{DatabaseConfig, LogFormat, Vars};
use brightrun_backend::db::{Database, EmbeddedPostgres, embedded::Durability};
use brightrun_backend::{Config, Services};
use std::path::PathBuf;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: brightrun [serve | migrate | database serve --data-dir DIR [--url-file FILE] [--ephemeral] | dataset validate FILE [--json] | site prepare --bindgen DIR --css FILE --out PKG_DIR]";

// The embedded trainer's step frees and reallocates large buffers; mimalloc
// with purging off keeps them (see brightrun_trainer::alloc).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Before any thread starts: the trainer's thread defaults read the environment.
    brightrun_trainer::threads::set_defaults();
    brightrun_trainer::alloc::keep_freed_pages();
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    init_tracing();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        [] | ["serve"] => serve().await,
        ["migrate"] => migrate().await,
        ["database", "serve", rest @ ..] => database_serve(rest).await,
        ["dataset", "validate", rest @ ..] => return dataset_validate(rest),
        ["site", "prepare", rest @ ..] => site_prepare(rest),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown command: {}\n{USAGE}", args.join(" "))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // Logging starts before (and without) the whole configuration.
    if Vars::with_env(LogFormat::from_vars) == LogFormat::Json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve() -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let addr = config.server.addr;
    let db = Database::open(&config).await.map_err(|e| e.to_string())?;
    db.migrate().await.map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        format!("cannot listen on {addr}: {e}. Set BRIGHTRUN_ADDR to a free address.")
    })?;
    let services = Services::new(db.pool.clone(), config)?;
    tracing::info!("BrightRun is ready at http://{addr}");
    println!("BrightRun is ready at http://{addr}");
    let served = brightrun_server::serve::serve(
        listener,
        services,
        brightrun_server::serve::shutdown_signal(),
    )
    .await;
    db.close().await;
    served.map_err(|e| format!("server error: {e}"))
}

async fn migrate() -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let db = Database::open(&config).await.map_err(|e| e.to_string())?;
    let result = db.migrate().await.map_err(|e| e.to_string());
    db.close().await;
    result.map(|()| println!("migrations applied"))
}

async fn database_serve(args: &[&str]) -> Result<(), String> {
    let mut data_dir = None;
    let mut url_file = None;
    let mut durability = Durability::Durable;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match *arg {
            "--data-dir" => data_dir = it.next().map(PathBuf::from),
            "--url-file" => url_file = it.next().map(PathBuf::from),
            "--ephemeral" => durability = Durability::Ephemeral,
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    let data_dir = data_dir.ok_or_else(|| format!("--data-dir is required\n{USAGE}"))?;
    let database = Vars::with_env(DatabaseConfig::from_vars).map_err(|e| e.to_string())?;
    let pg = EmbeddedPostgres::start(&data_dir, database.pg_bin.as_deref(), durability)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(file) = url_file {
        std::fs::write(&file, pg.url())
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    }
    println!("PostgreSQL ready on 127.0.0.1:{}", pg.port());
    brightrun_server::serve::shutdown_signal().await;
    pg.stop().await.map_err(|e| e.to_string())
}

fn site_prepare(args: &[&str]) -> Result<(), String> {
    let (mut bindgen, mut css, mut out) = (None, None, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let slot = match *arg {
            "--bindgen" => &mut bindgen,
            "--css" => &mut css,
            "--out" => &mut out,
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        };
        *slot = it.next().map(PathBuf::from);
    }
    let missing = |name: &str| format!("{name} is required\n{USAGE}");
    let bindgen = bindgen.ok_or_else(|| missing("--bindgen"))?;
    let css = css.ok_or_else(|| missing("--css"))?;
    let out = out.ok_or_else(|| missing("--out"))?;
    let prepared = brightrun_server::site::prepare(&bindgen, "brightrun", &css, &out)
        .map_err(|e| e.to_string())?;
    for (file, raw, gz, br) in prepared.files {
        println!("{file}: {raw} bytes, {gz} gzip, {br} brotli");
    }
    Ok(())
}

fn dataset_validate(args: &[&str]) -> ExitCode {
    use brightrun_server::dataset_cli;
    let opts = match dataset_cli::parse(args) {
        Ok(o) => o,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    match dataset_cli::validate(&opts) {
        Ok(report) => {
            use std::io::Write;
            let text = if opts.json {
                serde_json::to_string_pretty(&report).expect("reports serialize") + "\n"
            } else {
                dataset_cli::render(&report)
            };
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = std::io::stdout().write_all(text.as_bytes());
            if report.valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

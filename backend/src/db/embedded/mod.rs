//! PostgreSQL started by BrightRun itself, so a fresh machine needs no
//! database set up. Policy:
//! - binaries come from `BRIGHTRUN_PG_BIN`, `/usr/lib/postgresql/<newest>/bin`
//!   or `PATH`, in that order; none found is one message saying what to do;
//! - the cluster lives in `<data dir>/postgres`, created by `initdb` on first
//!   start with a random password kept in `<data dir>/postgres.password`;
//! - it listens on 127.0.0.1 only, on a free port chosen at each start, with
//!   no unix socket (so no shared system folder is needed);
//! - as root, every PostgreSQL program runs as the unprivileged `postgres`
//!   user (PostgreSQL refuses root), which then owns the cluster folder;
//! - a cluster already running on the folder (another BrightRun process, or
//!   one left by a crash) is reused and left running on `stop`.

use rand::Rng;
use rand::distr::Alphanumeric;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

mod host;

pub use host::find_binaries;
use host::{
    chown, ensure_reachable, io_err, is_root, prepare_dir, unprivileged_user, write_private,
};

const SUPERUSER: &str = "brightrun";
const DATABASE: &str = "brightrun";

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found in BRIGHTRUN_PG_BIN, \
         /usr/lib/postgresql/*/bin or PATH. Install them (Debian: `apt-get install postgresql`), \
         set BRIGHTRUN_PG_BIN to their folder, or set DATABASE_URL to use an existing server."
    )]
    NoBinaries,
    #[error(
        "running as root, but there is no unprivileged 'postgres' user to run PostgreSQL as \
         (PostgreSQL refuses to run as root). Create one (`useradd --system postgres`) or run BrightRun as another user."
    )]
    NoUnprivilegedUser,
    #[error(
        "PostgreSQL runs as the 'postgres' user, which cannot enter {path}. Set BRIGHTRUN_DATA_DIR \
         to a folder it can reach (for example /var/lib/brightrun), or allow it with `chmod o+x {path}`."
    )]
    Unreachable { path: PathBuf },
    #[error("cannot prepare the data folder {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{program} failed: {output}")]
    Command { program: String, output: String },
    #[error("cannot reach the embedded PostgreSQL: {0}")]
    Connect(#[from] sqlx::Error),
}

/// Whether the cluster must survive a machine crash. Test clusters trade that
/// for speed; everything else is `Durable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Durable,
    Ephemeral,
}

pub struct EmbeddedPostgres {
    bin: PathBuf,
    pgdata: PathBuf,
    run_as: Option<(u32, u32)>,
    url: String,
    port: u16,
    started_here: bool,
}

impl EmbeddedPostgres {
    /// Initialises the cluster if needed and starts it (or joins the one
    /// already running on the folder).
    #[tracing::instrument(skip_all, fields(data_dir = %data_dir.display()))]
    pub async fn start(
        data_dir: &Path,
        pg_bin: Option<&Path>,
        durability: Durability,
    ) -> Result<Self, EmbeddedError> {
        let bin = find_binaries(pg_bin).ok_or(EmbeddedError::NoBinaries)?;
        let run_as = if is_root() {
            Some(unprivileged_user().ok_or(EmbeddedError::NoUnprivilegedUser)?)
        } else {
            None
        };
        let data_dir = prepare_dir(data_dir)?;
        if let Some(user) = run_as {
            ensure_reachable(&data_dir, user)?;
        }
        let pgdata = data_dir.join("postgres");
        let password_file = data_dir.join("postgres.password");
        let log_file = data_dir.join("postgres.log");

        let (bin2, pgdata2, password_file2, log2) = (
            bin.clone(),
            pgdata.clone(),
            password_file.clone(),
            log_file.clone(),
        );
        let (port, started_here) = tokio::task::spawn_blocking(move || {
            if !pgdata2.join("PG_VERSION").exists() {
                init_cluster(&bin2, &pgdata2, &password_file2, run_as)?;
            }
            if let Some(port) = running_port(&pgdata2) {
                tracing::info!(port, "joining the embedded PostgreSQL already running");
                return Ok((port, false));
            }
            let port = start_cluster(&bin2, &pgdata2, &log2, run_as, durability)?;
            Ok::<_, EmbeddedError>((port, true))
        })
        .await
        .expect("embedded PostgreSQL start task panicked")?;

        let password = std::fs::read_to_string(&password_file)
            .map_err(|source| EmbeddedError::DataDir {
                path: password_file.clone(),
                source,
            })?
            .trim()
            .to_string();
        let server_url = format!("postgres://{SUPERUSER}:{password}@127.0.0.1:{port}");
        ensure_database(&server_url, DATABASE).await?;
        tracing::info!(port, pgdata = %pgdata.display(), started_here, "embedded PostgreSQL ready");
        Ok(Self {
            bin,
            pgdata,
            run_as,
            url: format!("{server_url}/{DATABASE}"),
            port,
            started_here,
        })
    }

    /// The connection URL of the `brightrun` database (contains the password).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL of another database on the same server.
    pub fn url_for(&self, database: &str) -> String {
        let base = self
            .url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(&self.url);
        format!("{base}/{database}")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server with a fast shutdown, unless it was already running
    /// when this process joined it.
    #[tracing::instrument(skip_all, fields(port = self.port))]
    pub async fn stop(self) -> Result<(), EmbeddedError> {
        if !self.started_here {
            return Ok(());
        }
        tokio::task::spawn_blocking(move || {
            let pg_ctl = self.bin.join("pg_ctl");
            let mut cmd = Command::new(&pg_ctl);
            cmd.arg("-D")
                .arg(&self.pgdata)
                .args(["-m", "fast", "-w", "-t", "60", "stop"]);
            run(cmd, self.run_as, &self.pgdata).map(|_| ())
        })
        .await
        .expect("embedded PostgreSQL stop task panicked")
    }
}

fn init_cluster(
    bin: &Path,
    pgdata: &Path,
    password_file: &Path,
    run_as: Option<(u32, u32)>,
) -> Result<(), EmbeddedError> {
    // A folder without PG_VERSION is an interrupted initdb: start over.
    if pgdata.exists() {
        std::fs::remove_dir_all(pgdata).map_err(io_err(pgdata))?;
    }
    std::fs::create_dir_all(pgdata).map_err(io_err(pgdata))?;
    std::fs::set_permissions(pgdata, std::fs::Permissions::from_mode(0o700))
        .map_err(io_err(pgdata))?;
    chown(pgdata, run_as)?;

    let password: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect();
    write_private(password_file, &password, None)?;
    // initdb reads the password from a file the postgres user can read.
    let pwfile = pgdata.with_file_name("initdb.pwfile");
    write_private(&pwfile, &password, run_as)?;

    let mut cmd = Command::new(bin.join("initdb"));
    cmd.arg("-D")
        .arg(pgdata)
        .arg(format!("--username={SUPERUSER}"))
        .arg(format!("--pwfile={}", pwfile.display()))
        .args(["--auth=scram-sha-256", "--encoding=UTF8", "--no-locale"]);
    let result = run(cmd, run_as, pgdata);
    let _ = std::fs::remove_file(&pwfile);
    result?;

    let conf = pgdata.join("postgresql.conf");
    let mut text = std::fs::read_to_string(&conf).map_err(io_err(&conf))?;
    text.push_str(
        "\n# BrightRun: loopback TCP only; the port is chosen at each start.\n\
         listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\n",
    );
    std::fs::write(&conf, text).map_err(io_err(&conf))?;
    Ok(())
}

/// The port of a live postmaster on this folder, from its `postmaster.pid`.
fn running_port(pgdata: &Path) -> Option<u16> {
    let pid_file = std::fs::read_to_string(pgdata.join("postmaster.pid")).ok()?;
    let mut lines = pid_file.lines();
    let pid: u32 = lines.next()?.trim().parse().ok()?;
    let port: u16 = lines.nth(2)?.trim().parse().ok()?;
    Path::new(&format!("/proc/{pid}")).exists().then_some(port)
}

fn start_cluster(
    bin: &Path,
    pgdata: &Path,
    log_file: &Path,
    run_as: Option<(u32, u32)>,
    durability: Durability,
) -> Result<u16, EmbeddedError> {
    if !log_file.exists() {
        std::fs::write(log_file, "").map_err(io_err(log_file))?;
    }
    chown(log_file, run_as)?;
    // The port is free when checked; a race with another process shows up as
    // pg_ctl failing, and the next start picks again.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(io_err(pgdata))?
        .port();
    let mut options = format!("-p {port}");
    if durability == Durability::Ephemeral {
        options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
    }
    let mut cmd = Command::new(bin.join("pg_ctl"));
    cmd.arg("-D")
        .arg(pgdata)
        .arg("-l")
        .arg(log_file)
        .args(["-w", "-t", "60", "-o", &options, "start"]);
    run(cmd, run_as, pgdata).map_err(|err| match err {
        EmbeddedError::Command { program, output } => EmbeddedError::Command {
            program,
            output: format!(
                "{output}\n(see {} for the server's log)",
                log_file.display()
            ),
        },
        other => other,
    })?;
    Ok(port)
}

fn run(mut cmd: Command, run_as: Option<(u32, u32)>, cwd: &Path) -> Result<String, EmbeddedError> {
    if let Some((uid, gid)) = run_as {
        cmd.uid(uid).gid(gid);
    }
    let program = cmd.get_program().to_string_lossy().into_owned();
    let output = cmd
        .current_dir(cwd)
        .env_remove("PGDATA")
        .stdin(Stdio::null())
        .output()
        .map_err(|source| EmbeddedError::Command {
            program: program.clone(),
            output: source.to_string(),
        })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(text)
    } else {
        Err(EmbeddedError::Command {
            program,
            output: text.trim().to_string(),
        })
    }
}

async fn ensure_database(server_url: &str, name: &str) -> Result<(), EmbeddedError> {
    use sqlx::Connection;
    let mut conn = connect_retrying(&format!("{server_url}/postgres")).await?;
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS "exists!""#,
        name
    )
    .fetch_one(&mut conn)
    .await?;
    if !exists {
        // The one runtime statement: identifiers cannot be bound, so this
        // cannot be a checked query; `name` is one of our constants.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    Ok(())
}

async fn connect_retrying(url: &str) -> Result<sqlx::PgConnection, EmbeddedError> {
    use sqlx::Connection;
    let mut attempt = 0;
    loop {
        match sqlx::PgConnection::connect(url).await {
            Ok(conn) => return Ok(conn),
            // Right after pg_ctl returns the server can still refuse briefly.
            Err(_) if attempt < 20 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(err) => return Err(err.into()),
        }
    }
}

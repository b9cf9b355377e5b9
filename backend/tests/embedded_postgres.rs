//! The embedded PostgreSQL for real: initdb into an empty folder (as root
//! here, so through the unprivileged user), start, write, stop, start again
//! on the same folder and find the data.

use brightrun_backend::db::embedded::{Durability, EmbeddedPostgres, find_binaries};
use sqlx::Connection;
use std::os::unix::fs::PermissionsExt;

fn reachable_tempdir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("brightrun-pg-test")
        .tempdir()
        .unwrap();
    // tempdir() makes 0700 folders; the postgres user must be able to enter it.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[tokio::test]
async fn starts_from_empty_folder_restarts_and_keeps_data() {
    assert!(
        find_binaries(None).is_some(),
        "PostgreSQL binaries must be installed for this test"
    );
    let dir = reachable_tempdir();
    let data = dir.path().join("data");

    let pg = EmbeddedPostgres::start(&data, None, Durability::Durable)
        .await
        .unwrap();
    assert!(data.join("postgres/PG_VERSION").exists());
    assert!(pg.url().starts_with("postgres://brightrun:"));
    let mut conn = sqlx::PgConnection::connect(pg.url()).await.unwrap();
    sqlx::query("CREATE TABLE kept (note text)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO kept VALUES ('survives a restart')")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    pg.stop().await.unwrap();
    assert!(
        !data.join("postgres/postmaster.pid").exists(),
        "stop shuts the server down"
    );

    let pg = EmbeddedPostgres::start(&data, None, Durability::Durable)
        .await
        .unwrap();
    let mut conn = sqlx::PgConnection::connect(pg.url()).await.unwrap();
    let note: String = sqlx::query_scalar("SELECT note FROM kept")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(note, "survives a restart");
    conn.close().await.unwrap();
    // Only loopback: the server refuses to be reached on any other address.
    let conf = std::fs::read_to_string(data.join("postgres/postgresql.conf")).unwrap();
    assert!(conf.contains("listen_addresses = '127.0.0.1'"));
    pg.stop().await.unwrap();
}

#[tokio::test]
async fn a_second_start_joins_the_running_server_and_leaves_it_running() {
    let dir = reachable_tempdir();
    let data = dir.path().join("data");
    let owner = EmbeddedPostgres::start(&data, None, Durability::Ephemeral)
        .await
        .unwrap();
    let joiner = EmbeddedPostgres::start(&data, None, Durability::Ephemeral)
        .await
        .unwrap();
    assert_eq!(owner.port(), joiner.port());
    joiner.stop().await.unwrap();
    // The joiner did not start it, so it did not stop it.
    let mut conn = sqlx::PgConnection::connect(owner.url()).await.unwrap();
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(one, 1);
    conn.close().await.unwrap();
    owner.stop().await.unwrap();
}

#[tokio::test]
async fn missing_binaries_say_what_to_install() {
    let dir = reachable_tempdir();
    let err = EmbeddedPostgres::start(dir.path(), Some(dir.path()), Durability::Ephemeral)
        .await
        .err()
        .expect("no binaries in an empty folder");
    let message = err.to_string();
    assert!(message.contains("apt-get install postgresql"), "{message}");
    assert!(message.contains("DATABASE_URL"), "{message}");
}

#[tokio::test]
async fn unreachable_folder_names_the_folder() {
    // Only meaningful as root, where PostgreSQL runs as another user.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc_geteuid() } != 0 {
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("brightrun-private")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let err = EmbeddedPostgres::start(&dir.path().join("data"), None, Durability::Ephemeral)
        .await
        .err()
        .expect("postgres cannot enter a 0700 root folder");
    assert!(
        err.to_string().contains(&dir.path().display().to_string()),
        "{err}"
    );
    assert!(err.to_string().contains("BRIGHTRUN_DATA_DIR"), "{err}");
}

unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

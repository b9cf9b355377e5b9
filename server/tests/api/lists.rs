//! List endpoints take any page number and any search without failing:
//! a page past the end is empty, a huge search is cut, nothing overflows.

use crate::common::TestApp;
use sqlx::PgPool;

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn huge_pages_and_searches_are_empty_pages(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.signed_in("pages@example.com").await;
    let long = "x".repeat(10_000);
    for path in [
        "/api/jobs?page=50000000".to_string(),
        "/api/jobs?page=4294967295&per_page=100".to_string(),
        "/api/datasets?page=4294967295".to_string(),
        "/api/notifications?page=4294967295".to_string(),
        format!("/api/jobs?q={long}"),
        format!("/api/datasets?q={long}"),
    ] {
        let (status, body) = app.get(&client, &path).await;
        assert_eq!(status, 200, "{}: {body}", &path[..40.min(path.len())]);
    }
}

//! Costs end to end: compute billed each minute and at the end by the real
//! poller over the real trainer, storage billed once a day, the month's
//! summary, the CSV export against the records, filters, and the monthly
//! budget (refusal with the numbers, the recorded override, alerts once).

use crate::common::{TestApp, new_job, ready_dataset, tick_until};
use reqwest::Method;
use serde_json::{Value, json as j};
use sqlx::PgPool;
use std::time::Duration;

/// $36 an hour for the CPU: a second of training costs a cent.
const PRICED: &[(&str, &str)] = &[("BRIGHTRUN_CPU_PRICE_PER_HOUR", "36")];

/// What `POST /api/jobs/estimate` says `job` (a `new_job` body) costs.
async fn estimated_cost(
    app: &TestApp,
    client: &reqwest::Client,
    dataset: &str,
    job: &Value,
) -> f64 {
    let (_, estimate) = app
        .post(
            client,
            "/api/jobs/estimate",
            j!({"dataset_id": dataset, "base_model": "tiny-llama", "config": job["config"], "gpu_type": "cpu", "gpu_count": 1}),
        )
        .await;
    estimate["data"]["cost"].as_f64().unwrap()
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn compute_and_storage_are_billed_summarised_and_exported(pool: PgPool) {
    let app = TestApp::spawn_with(pool, PRICED).await;
    let client = app.signed_in("costs@example.com").await;
    let dataset = ready_dataset(&app, &client).await;

    // A job is billed each minute and when it stops; the records add up
    // to the job's cost and none runs past its end.
    let (status, created) = app
        .post(&client, "/api/jobs", new_job(&dataset, "cpu", 6))
        .await;
    assert_eq!(status, 201, "{created}");
    let job = created["data"]["id"].as_str().unwrap().to_string();
    let done = tick_until(&app, &client, &job, Duration::from_secs(240), |b| {
        b["job"]["status"] == "completed"
    })
    .await;
    let cost_so_far = done["job"]["cost_so_far"].as_f64().unwrap();
    assert!(cost_so_far > 0.0, "{done}");
    let (status, records) = app.get(&client, &format!("/api/costs?job={job}")).await;
    assert_eq!(status, 200, "{records}");
    let records = records["data"].as_array().unwrap().clone();
    assert!(!records.is_empty());
    let sum: f64 = records.iter().map(|r| r["amount"].as_f64().unwrap()).sum();
    assert!(
        (sum - cost_so_far).abs() <= 0.0001 * records.len() as f64 + 1e-9,
        "records {sum} vs job {cost_so_far}"
    );
    let finished: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(done["job"]["finished_at"].clone()).unwrap();
    for r in &records {
        assert_eq!(r["cost_type"], "compute");
        assert_eq!(r["unit"], "gpu_hours");
        let end: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(r["period_end"].clone()).unwrap();
        assert!(end <= finished, "never billed after the end: {r}");
    }
    // More ticks bill nothing more.
    brightrun_backend::jobs::poller::tick(&app.services)
        .await
        .unwrap();
    let (_, again) = app.get(&client, &format!("/api/costs?job={job}")).await;
    assert_eq!(again["data"].as_array().unwrap().len(), records.len());

    // Storage: one record per owner and day, GB-months of what is stored.
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        brightrun_backend::costs::storage::bill_day(&app.services, today)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        brightrun_backend::costs::storage::bill_day(&app.services, today)
            .await
            .unwrap(),
        0,
        "a day is billed once"
    );
    let (_, storage) = app.get(&client, "/api/costs?type=storage").await;
    let storage = storage["data"].as_array().unwrap().clone();
    assert_eq!(storage.len(), 1);
    assert_eq!(storage[0]["unit"], "gb_month");
    assert!(storage[0]["quantity"].as_f64().unwrap() > 0.0);

    // The summary adds every record of the month.
    let (_, all) = app.get(&client, "/api/costs").await;
    let all = all["data"].as_array().unwrap().clone();
    let total: f64 = all.iter().map(|r| r["amount"].as_f64().unwrap()).sum();
    let (status, summary) = app.get(&client, "/api/costs/summary").await;
    assert_eq!(status, 200, "{summary}");
    let s = &summary["data"];
    assert!((s["total"].as_f64().unwrap() - total).abs() < 1e-6, "{s}");
    let by_type: Vec<&str> = s["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["cost_type"].as_str().unwrap())
        .collect();
    assert_eq!(by_type, ["compute", "storage", "data_transfer"]);
    assert!((s["by_type"][0]["amount"].as_f64().unwrap() - sum).abs() < 1e-6);
    assert_eq!(s["by_job"][0]["job_id"], job.as_str());
    let daily = s["daily"].as_array().unwrap();
    assert_eq!(daily.last().unwrap()["day"], today.to_string());
    assert!((daily.last().unwrap()["amount"].as_f64().unwrap() - total).abs() < 1e-6);
    assert!(s["budget"].is_null());

    // The CSV export is the records, line for line.
    let res = client
        .get(app.url("/api/costs?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let rows = csv_rows(&res.text().await.unwrap());
    assert_eq!(rows[0].join(","), brightrun::costs::csv::HEADER);
    assert_eq!(rows.len() - 1, all.len());
    for (row, record) in rows[1..].iter().zip(&all) {
        assert_eq!(row[2], record["cost_type"].as_str().unwrap());
        assert_eq!(row[3], format!("{:.4}", record["amount"].as_f64().unwrap()));
        assert_eq!(row[6], record["job_id"].as_str().unwrap_or(""));
    }
    let res = client
        .get(app.url("/api/costs?format=csv&type=storage"))
        .send()
        .await
        .unwrap();
    let rows = csv_rows(&res.text().await.unwrap());
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][2], "storage");

    // Bad filters name the parameter.
    for (query, field) in [
        ("from=2026-13-01", "from"),
        ("type=gold", "type"),
        ("job=42", "job"),
        ("from=2026-12-02&to=2026-12-01", "from"),
        ("format=xml", "format"),
    ] {
        let (status, body) = app.get(&client, &format!("/api/costs?{query}")).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some(field)),
            "{query}: {body}"
        );
    }
    let (_, none) = app
        .get(&client, "/api/costs?from=2020-01-01&to=2020-01-31")
        .await;
    assert_eq!(none["data"].as_array().unwrap().len(), 0);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn the_budget_refuses_a_job_unless_overridden_and_alerts_once(pool: PgPool) {
    let app = TestApp::spawn_with(pool, PRICED).await;
    let client = app.signed_in("budget@example.com").await;
    let dataset = ready_dataset(&app, &client).await;

    // 1e-214 is above 0 but rounds to 0 cents (it was a 500: schemathesis).
    for bad in [j!(-1), j!(0), j!(0.004), j!(1.7916828703254863e-214)] {
        let (status, body) = app
            .call(
                &client,
                Method::PUT,
                "/api/settings/budget",
                Some(j!({"monthly_budget": bad})),
            )
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("monthly_budget")),
            "{body}"
        );
    }
    let (status, body) = app
        .call(
            &client,
            Method::PUT,
            "/api/settings/budget",
            Some(j!({"monthly_budget": 0.01})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["monthly_budget"], 0.01);

    // The estimate passes what is left: refused, with the numbers.
    let body = new_job(&dataset, "cpu", 6);
    let cost = estimated_cost(&app, &client, &dataset, &body).await;
    assert!(cost > 0.01, "{cost}");
    let (status, refused) = app.post(&client, "/api/jobs", body.clone()).await;
    assert_eq!(status, 402, "{refused}");
    assert_eq!(refused["error"], "over_budget");
    let message = refused["details"].as_str().unwrap();
    assert!(
        message.contains(&format!("${cost:.2}")) && message.contains("$0.01"),
        "{message}"
    );
    let (_, jobs) = app.get(&client, "/api/jobs").await;
    assert_eq!(jobs["data"]["total"], 0, "nothing was created");

    // The override starts it and is recorded on the job.
    let mut overridden = body.clone();
    overridden["budget_override"] = j!(true);
    let (status, created) = app.post(&client, "/api/jobs", overridden).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["data"]["budget_override"], true);
    let job = created["data"]["id"].as_str().unwrap().to_string();
    tick_until(&app, &client, &job, Duration::from_secs(240), |b| {
        b["job"]["status"] == "completed"
    })
    .await;

    // Past 100 %: the alert is written, once, naming the highest threshold.
    let alerts = |app: &TestApp| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_as::<_, (String, String)>(
                "SELECT title, link FROM notifications WHERE notification_type = 'budget_alert' ORDER BY created_at",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let first = alerts(&app).await;
    assert!(!first.is_empty() && first.len() <= 3, "{first:?}");
    assert_eq!(first.last().unwrap().0, "100% of your monthly budget used");
    assert_eq!(first.last().unwrap().1, "/costs");
    let thresholds: Vec<i16> =
        sqlx::query_scalar("SELECT threshold FROM budget_alerts ORDER BY threshold")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(thresholds, [80, 90, 100]);
    // Saving the budget again or more billing this month alerts no more.
    app.call(
        &client,
        Method::PUT,
        "/api/settings/budget",
        Some(j!({"monthly_budget": 0.01})),
    )
    .await;
    brightrun_backend::costs::storage::bill_day(&app.services, chrono::Utc::now().date_naive())
        .await
        .unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    let owner: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(
        brightrun_backend::costs::budget::alert(&mut tx, &[owner])
            .await
            .unwrap(),
        0
    );
    tx.commit().await.unwrap();
    assert_eq!(alerts(&app).await.len(), first.len());

    let (_, summary) = app.get(&client, "/api/costs/summary").await;
    let b: &Value = &summary["data"]["budget"];
    assert_eq!(b["monthly_budget"], 0.01);
    assert_eq!(b["alert"], 100);
    assert!(b["percent"].as_f64().unwrap() >= 100.0, "{b}");

    // Removing the budget lets any job start again.
    let (status, _) = app
        .call(
            &client,
            Method::PUT,
            "/api/settings/budget",
            Some(j!({"monthly_budget": null})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, created) = app.post(&client, "/api/jobs", body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["data"]["budget_override"], false);
}

#[sqlx::test(migrator = "brightrun_backend::db::MIGRATOR")]
async fn jobs_submitted_at_once_cannot_all_fit_a_budget_that_holds_one(pool: PgPool) {
    let app = TestApp::spawn_with(pool, PRICED).await;
    let client = app.signed_in("race@example.com").await;
    let dataset = ready_dataset(&app, &client).await;
    let body = new_job(&dataset, "cpu", 6);
    let cost = estimated_cost(&app, &client, &dataset, &body).await;
    // Room for one such job, not two.
    let (status, _) = app
        .call(
            &client,
            Method::PUT,
            "/api/settings/budget",
            Some(j!({"monthly_budget": (cost * 1.5 * 100.0).ceil() / 100.0})),
        )
        .await;
    assert_eq!(status, 200);
    let submits = (0..6).map(|_| client.post(app.url("/api/jobs")).json(&body).send());
    let codes: Vec<u16> = futures::future::join_all(submits)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert_eq!(codes.iter().filter(|&&c| c == 201).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|&&c| c == 402).count(), 5, "{codes:?}");
}

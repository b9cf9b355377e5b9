//! The shapes of the answers the handlers build as JSON (`ok(json!(…))`),
//! the success envelope and the error envelope, for the OpenAPI document.

use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// A successful answer: `data` is the operation's result.
#[derive(ToSchema)]
pub struct Envelope<T> {
    /// Always `true`.
    success: bool,
    data: T,
}

/// Every error the REST API answers (`brightrun_backend::rest_envelope`).
#[derive(ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code: `invalid_input`, `invalid_body`,
    /// `unauthenticated`, `not_found`, `conflict`, `rate_limited`, …
    error: String,
    /// What went wrong, safe to show to a person.
    details: String,
    /// The request's id (also in the `x-request-id` header); quote it when
    /// reporting a server error.
    request_id: Uuid,
    /// The field of the request that was wrong, when one was.
    field: Option<String>,
}

/// `GET /api/health`.
#[derive(ToSchema)]
pub struct Health {
    /// Always `ok`.
    status: String,
    /// When each background worker last finished a tick.
    workers: BTreeMap<String, chrono::DateTime<chrono::Utc>>,
}

/// The id of what was deleted.
#[derive(ToSchema)]
pub struct Deleted {
    deleted: Uuid,
}

#[derive(ToSchema)]
pub struct Revoked {
    revoked: Uuid,
}

#[derive(ToSchema)]
pub struct SignedOut {
    /// Always `true`; the session cookie is cleared.
    signed_out: bool,
}

#[derive(ToSchema)]
pub struct Cancelled {
    /// The id as it was sent.
    cancelled: String,
}

#[derive(ToSchema)]
pub struct MarkedRead {
    read: Uuid,
}

#[derive(ToSchema)]
pub struct MarkedAllRead {
    /// How many notifications were unread.
    marked: u64,
}

/// A piece of a job's log.
#[derive(ToSchema)]
pub struct LogChunk {
    /// The log from the requested offset.
    text: String,
    /// The offset to ask for next time.
    next_offset: u64,
}

/// The monthly budget in dollars; `null` for none.
#[derive(ToSchema)]
pub struct MonthlyBudget {
    monthly_budget: Option<f64>,
}

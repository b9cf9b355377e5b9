//! Data-transfer billing: bytes of model files actually sent to a client
//! (a signed file link or the bundle), counted as they stream and written
//! as one record when the download ends, whole or not.

use super::GB;
use crate::services::Services;
use bytes::Bytes;
use futures::Stream;
use std::pin::Pin;
use std::task::{Context, Poll};
use uuid::Uuid;

/// Owner and model of a model object key (`lora-models/<owner>/<model>/…`).
pub fn model_of_key(key: &str) -> Option<(Uuid, Uuid)> {
    let mut parts = key.strip_prefix("lora-models/")?.split('/');
    let owner = parts.next()?.parse().ok()?;
    let model = parts.next()?.parse().ok()?;
    Some((owner, model))
}

pub async fn record(services: &Services, owner: Uuid, model: Uuid, bytes: u64, what: &str) {
    let gb = bytes as f64 / GB;
    let now = chrono::Utc::now();
    let result = sqlx::query(
        "INSERT INTO cost_records (id, owner_id, model_id, cost_type, amount, quantity, unit, details, period_start, period_end)
         SELECT $1, $2, m.id, 'data_transfer', round($4::numeric, 4), $5, 'gb',
                jsonb_build_object('bytes', $6::bigint, 'file', $7::text), $8, $8
         FROM model_artifacts m WHERE m.id = $3 AND m.owner_id = $2",
    )
    .bind(Uuid::new_v4())
    .bind(owner)
    .bind(model)
    .bind(gb * services.config.transfer_price_per_gb)
    .bind(gb)
    .bind(bytes as i64)
    .bind(what)
    .bind(now)
    .execute(&services.pool)
    .await;
    if let Err(err) = result {
        tracing::error!(%err, %model, bytes, "data transfer not recorded");
    }
}

/// A byte stream that bills what it delivered when it is dropped.
pub struct Metered<S> {
    inner: S,
    sent: u64,
    bill: Option<(Services, Uuid, Uuid, String)>,
}

impl<S> Metered<S> {
    pub fn new(inner: S, services: Services, owner: Uuid, model: Uuid, what: String) -> Self {
        Self {
            inner,
            sent: 0,
            bill: Some((services, owner, model, what)),
        }
    }
}

impl<S, E> Stream for Metered<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    type Item = Result<Bytes, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &polled {
            self.sent += chunk.len() as u64;
        }
        polled
    }
}

impl<S> Drop for Metered<S> {
    fn drop(&mut self) {
        if let Some((services, owner, model, what)) = self.bill.take()
            && self.sent > 0
        {
            let sent = self.sent;
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move { record(&services, owner, model, sent, &what).await });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_keys_name_owner_and_model() {
        let (o, m) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(
            model_of_key(&format!("lora-models/{o}/{m}/adapter/x.json")),
            Some((o, m))
        );
        assert_eq!(model_of_key(&format!("datasets/{o}/{m}/x.jsonl")), None);
    }
}

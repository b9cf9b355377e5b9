//! Data-transfer billing: bytes of model files actually sent to a client
//! (a signed file link or the bundle), counted as they stream and written
//! as one record when the download ends, whole or not.

use super::GB;
use super::queries::{self, TransferRecord};
use crate::services::Services;
use bytes::Bytes;
use futures::Stream;
use std::pin::Pin;
use std::task::{Context, Poll};
use uuid::Uuid;

/// Writes the data-transfer record of `bytes` of `owner`'s `model` sent as
/// `what`; a failure is logged, never the download's.
#[tracing::instrument(skip_all, fields(%owner, %model, bytes))]
pub async fn record(services: &Services, owner: Uuid, model: Uuid, bytes: u64, what: &str) {
    let gb = bytes as f64 / GB;
    let record = TransferRecord {
        id: Uuid::new_v4(),
        owner,
        model,
        amount: gb * services.config.billing.transfer_price_per_gb,
        gb,
        bytes: bytes as i64,
        file: what,
        at: chrono::Utc::now(),
    };
    if let Err(err) = queries::insert_transfer(&services.pool, &record).await {
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

//! `POST /v1/generate` on the agent: the answer's events read line by line
//! from the streamed response as they arrive and passed on; dropping the
//! receiver closes the connection, which stops the agent's generation.

use super::HttpCluster;
use crate::jobs::cluster::{ClusterError, GenerateEvent, GenerateSpec, Generation};
use futures::StreamExt;
use std::time::Duration;

/// The longest an answer may stream (4096 tokens on a slow machine).
const TIMEOUT: Duration = Duration::from_secs(900);
/// The longest line the agent may send (one event).
const MAX_LINE: usize = 1 << 20;

impl HttpCluster {
    pub(super) async fn start_generation(
        &self,
        spec: &GenerateSpec,
    ) -> Result<Generation, ClusterError> {
        let req = self
            .client
            .post(self.url("/v1/generate"))
            .json(spec)
            .timeout(TIMEOUT);
        let resp = self
            .authorised(req)
            .send()
            .await
            .map_err(|e| ClusterError::Unreachable(e.without_url().to_string()))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(ClusterError::Unsuitable(
                "the trainer agent cannot generate; update brightrun-trainer on the GPU machine"
                    .into(),
            ));
        }
        if status.is_server_error() {
            return Err(ClusterError::Unreachable(status.to_string()));
        }
        if !status.is_success() {
            let body: serde_json::Value = resp.json().await.unwrap_or_default();
            return Err(super::error_of(status, &body));
        }
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            let mut body = resp.bytes_stream();
            let mut buf = Vec::new();
            let mut ended = false;
            let end = loop {
                let chunk = tokio::select! {
                    chunk = body.next() => chunk,
                    _ = tx.closed() => return,
                };
                let chunk = match chunk {
                    Some(Ok(c)) => c,
                    Some(Err(e)) => {
                        break Some(format!("the trainer's stream broke: {}", e.without_url()));
                    }
                    None => break None,
                };
                buf.extend_from_slice(&chunk);
                while let Some(at) = buf.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=at).collect();
                    let Ok(event) = serde_json::from_slice::<GenerateEvent>(&line) else {
                        continue;
                    };
                    ended |= matches!(event, GenerateEvent::Done(_) | GenerateEvent::Error { .. });
                    if tx.send(event).await.is_err() {
                        return;
                    }
                }
                if buf.len() > MAX_LINE {
                    break Some("the trainer sent a line longer than an event can be".into());
                }
            };
            if !ended {
                let message = end.unwrap_or_else(|| {
                    "the trainer closed the stream before the answer ended".into()
                });
                let _ = tx
                    .send(GenerateEvent::Error {
                        message,
                        invalid_request: false,
                    })
                    .await;
            }
        });
        Ok(rx)
    }
}

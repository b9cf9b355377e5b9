//! The cluster backends behind one trait: `local` (the trainer embedded in
//! this server), `http` (the cluster API of DESIGN §4.2 in front of
//! `brightrun-trainer serve`) and `ray` (jobs on a Ray cluster through its
//! Jobs REST API, each running `brightrun-trainer run`). All three speak the
//! cluster contract of the domain crate (`brightrun::cluster`), the types
//! the trainer itself uses, so a job looks the same wherever it runs; its
//! statuses are the app's own `JobStatus`. The job id is the idempotency key of
//! every submit: a retried submit never starts a second run.

pub mod devices;
pub mod http;
pub mod local;
pub mod ray;
pub mod retry;

pub use brightrun::cluster::{
    ExportSpec, ExportView, GenerateEvent, GenerateSpec, JobQuery, JobSpec, JobUpdate, JobView,
    StepMetrics,
};
pub use brightrun_trainer::serve::CancelError;

use std::future::Future;
use std::pin::Pin;

/// An exported file's bytes as the cluster sends them.
pub type ByteStream =
    Pin<Box<dyn futures::Stream<Item = Result<bytes::Bytes, String>> + Send + 'static>>;

pub type ClusterFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ClusterError>> + Send + 'a>>;

/// Why a cluster call did not give an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    /// Could not reach it, it timed out, or it answered 5xx (after retries).
    #[error("the training cluster is unreachable: {0}")]
    Unreachable(String),
    /// It refused the request (4xx other than 404/409); says why.
    #[error("the training cluster refused the request: {0}")]
    Rejected(String),
    #[error("the training cluster does not know this job")]
    NotFound,
    /// A cancel for a job that had already finished.
    #[error("the job had already finished")]
    Finished,
    /// It lacks the device the job asks for (a GPU it does not have): the
    /// job is refused before it starts, and says what was asked and what exists.
    #[error("the training cluster cannot run this job: {0}")]
    Unsuitable(String),
}

pub trait Cluster: Send + Sync {
    /// `local`, `http`, `ray`: stored on each job.
    fn name(&self) -> &'static str;
    /// Queues the job (or finds the one submitted under the same
    /// `spec.job_id`); returns the cluster's id for it.
    fn submit<'a>(&'a self, spec: &'a JobSpec) -> ClusterFuture<'a, String>;
    /// Status and the metrics after each job's last stored step, for many
    /// jobs in one call (status-many and metrics-since together). Jobs the
    /// cluster does not know are left out of the answer.
    fn query<'a>(&'a self, asks: &'a [JobQuery]) -> ClusterFuture<'a, Vec<JobUpdate>>;
    /// Stops the job at its next step.
    fn cancel<'a>(&'a self, external_id: &'a str) -> ClusterFuture<'a, ()>;
    /// The job's log from byte `offset`: text and the next offset.
    fn logs<'a>(&'a self, external_id: &'a str, offset: u64) -> ClusterFuture<'a, (String, u64)>;
    /// Called once when the server stops.
    fn shutdown(&self) -> ClusterFuture<'_, ()>;
    /// The longest one call can take, its retries included: the poller's
    /// lease outlasts it.
    fn call_budget(&self) -> std::time::Duration {
        std::time::Duration::from_secs(15)
    }
    /// What the cluster's agent has (`GET /v1/info`): `None` where the
    /// cluster does not say (Ray: its nodes vary; the GPU catalog applies).
    fn devices(&self) -> ClusterFuture<'_, Option<brightrun::cluster::AgentInfo>> {
        Box::pin(async { Ok(None) })
    }
    /// Starts answering a generation request; its events arrive on the
    /// receiver, and dropping the receiver stops it. `Unsuitable` where
    /// the backend cannot serve models.
    fn generate(&self, spec: GenerateSpec) -> ClusterFuture<'_, Generation> {
        let _ = spec;
        Box::pin(async move {
            Err(ClusterError::Unsuitable(format!(
                "the {} backend cannot run models outside training jobs yet; the playground and the OpenAI-compatible endpoint need the local or http backend",
                self.name()
            )))
        })
    }
    /// Starts an export where the base weights are (or finds the one
    /// started under the same `spec.export_id`). `Unsuitable` where the
    /// backend cannot export.
    fn start_export<'a>(&'a self, spec: &'a ExportSpec) -> ClusterFuture<'a, ExportView> {
        let _ = spec;
        Box::pin(async move { Err(self.cannot_export()) })
    }
    /// An export's status, progress and, once completed, its files.
    fn export_status<'a>(&'a self, id: &'a str) -> ClusterFuture<'a, ExportView> {
        let _ = id;
        Box::pin(async move { Err(self.cannot_export()) })
    }
    /// One file a completed export listed: its bytes as they arrive.
    fn export_file<'a>(&'a self, id: &'a str, name: &'a str) -> ClusterFuture<'a, ByteStream> {
        let _ = (id, name);
        Box::pin(async move { Err(self.cannot_export()) })
    }
    /// Stops an export and removes its files from the cluster.
    fn remove_export<'a>(&'a self, id: &'a str) -> ClusterFuture<'a, ()> {
        let _ = id;
        Box::pin(async move { Err(self.cannot_export()) })
    }
    fn cannot_export(&self) -> ClusterError {
        ClusterError::Unsuitable(format!(
            "the {} backend cannot run exports yet; exports need the local or http backend",
            self.name()
        ))
    }
}

/// The events of one answer as the cluster sends them.
pub type Generation = tokio::sync::mpsc::Receiver<GenerateEvent>;

//! `local`: the trainer's agent embedded in this server, training on this
//! machine's CPU (or its CUDA GPUs, in a server built with `cuda`), one job
//! at a time by default, in queue order. Its job table lives in
//! `<data dir>/trainer`, so a restart of the server resumes what was
//! running from its last checkpoint.

use super::{
    CancelError, Cluster, ClusterError, ClusterFuture, GenerateSpec, Generation, JobQuery, JobSpec,
    JobUpdate,
};
use brightrun_trainer::serve::{Agent, DEFAULT_CACHE_BYTES, Generator, Inputs};
use std::path::Path;
use std::sync::Arc;

pub struct LocalCluster {
    agent: Arc<Agent>,
    generator: Arc<Generator>,
}

impl LocalCluster {
    /// Opens the job table and starts the workers; needs a tokio runtime.
    /// A job resumes from its last checkpoint at most `max_resumes` times.
    pub fn start(data_dir: &Path, concurrency: usize, max_resumes: u32) -> std::io::Result<Self> {
        Ok(Self {
            agent: Arc::new(Agent::start(data_dir, concurrency, max_resumes)?),
            generator: Arc::new(Generator::new(
                data_dir.join("generate"),
                Inputs::Trusted,
                DEFAULT_CACHE_BYTES,
            )),
        })
    }
}

/// The agent writes to disk: its calls run on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ClusterError> + Send + 'static,
) -> Result<T, ClusterError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ClusterError::Unreachable(format!("the local trainer task failed: {e}")))?
}

impl Cluster for LocalCluster {
    fn name(&self) -> &'static str {
        "local"
    }

    fn submit<'a>(&'a self, spec: &'a JobSpec) -> ClusterFuture<'a, String> {
        let agent = self.agent.clone();
        let spec = spec.clone();
        Box::pin(blocking(move || {
            agent
                .submit(spec)
                .map(|(job, _)| job.id)
                .map_err(|e| ClusterError::Rejected(e.to_string()))
        }))
    }

    fn query<'a>(&'a self, asks: &'a [JobQuery]) -> ClusterFuture<'a, Vec<JobUpdate>> {
        Box::pin(async move { Ok(self.agent.query(asks)) })
    }

    fn cancel<'a>(&'a self, external_id: &'a str) -> ClusterFuture<'a, ()> {
        let agent = self.agent.clone();
        let id = external_id.to_string();
        Box::pin(blocking(move || match agent.cancel(&id) {
            Ok(_) => Ok(()),
            Err(CancelError::NotFound(_)) => Err(ClusterError::NotFound),
            Err(CancelError::Finished { .. }) => Err(ClusterError::Finished),
            Err(CancelError::Io(e)) => Err(ClusterError::Unreachable(e.to_string())),
        }))
    }

    fn logs<'a>(&'a self, external_id: &'a str, offset: u64) -> ClusterFuture<'a, (String, u64)> {
        let agent = self.agent.clone();
        let id = external_id.to_string();
        Box::pin(blocking(move || match agent.logs(&id, offset) {
            None => Err(ClusterError::NotFound),
            Some(Ok(chunk)) => Ok(chunk),
            Some(Err(e)) => Err(ClusterError::Unreachable(e.to_string())),
        }))
    }

    fn shutdown(&self) -> ClusterFuture<'_, ()> {
        Box::pin(async move {
            self.agent.stop().await;
            Ok(())
        })
    }

    /// The embedded trainer answers on this machine, one request at a time.
    fn generate(&self, spec: GenerateSpec) -> ClusterFuture<'_, Generation> {
        Box::pin(async move {
            self.generator
                .spawn(spec)
                .map_err(|e| ClusterError::Rejected(e.to_string()))
        })
    }

    /// This machine's CPU, and its CUDA GPUs in a `cuda` build.
    fn devices(&self) -> ClusterFuture<'_, Option<brightrun::cluster::AgentInfo>> {
        Box::pin(async { Ok(Some(brightrun_trainer::device::detected().clone())) })
    }
}

//! What a cluster's agent has, and whether it can run a job: the `http`
//! backend reads `GET /v1/info` (kept for [`INFO_TTL`], since the configure
//! page asks on every change) and refuses a job whose device the agent
//! lacks before it is sent; `local` has this process's own devices. The
//! rule itself is the domain's ([`brightrun::cluster::placement`]).

use super::{ClusterError, JobSpec};
use brightrun::cluster::{AgentInfo, placement};
use brightrun::training::GpuCatalog;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an agent's answer to `GET /v1/info` is kept.
pub const INFO_TTL: Duration = Duration::from_secs(10);

/// The last answer and when it came.
#[derive(Default)]
pub struct InfoCache {
    slot: Mutex<Option<(Instant, Option<AgentInfo>)>>,
}

impl InfoCache {
    /// The kept answer while fresh, else `fetch`'s (kept when it succeeds).
    pub async fn get<F>(&self, fetch: F) -> Result<Option<AgentInfo>, ClusterError>
    where
        F: Future<Output = Result<Option<AgentInfo>, ClusterError>>,
    {
        if let Some((at, info)) = self.lock().as_ref()
            && at.elapsed() < INFO_TTL
        {
            return Ok(info.clone());
        }
        let info = fetch.await?;
        *self.lock() = Some((Instant::now(), info.clone()));
        Ok(info)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, Option<AgentInfo>)>> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Refuses a job that asks for a GPU the agent lacks, naming both.
pub fn check(spec: &JobSpec, info: &AgentInfo, catalog: &GpuCatalog) -> Result<(), ClusterError> {
    let gpu_type = spec.gpu.as_ref().map(|g| g.gpu_type.as_str());
    let count = spec.gpu.as_ref().map_or(1, |g| g.count);
    match placement::refusal(spec.device, gpu_type, count, info, catalog) {
        Some(why) => Err(ClusterError::Unsuitable(why)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brightrun::cluster::{BaseDtype, DeviceInfo, DeviceKind};
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn info() -> AgentInfo {
        AgentInfo {
            version: "0".into(),
            features: vec![],
            devices: vec![DeviceInfo {
                kind: DeviceKind::Cpu,
                name: "cpu".into(),
                memory_bytes: 1,
                count: 1,
                dtypes: vec![BaseDtype::F32],
            }],
        }
    }

    #[tokio::test]
    async fn the_agents_answer_is_kept_briefly_and_a_failure_is_not() {
        let cache = InfoCache::default();
        let calls = AtomicUsize::new(0);
        let fetch = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(Some(info()))
        };
        let failing = async { Err(ClusterError::Unreachable("down".into())) };
        assert!(cache.get(failing).await.is_err());
        assert_eq!(cache.get(fetch()).await.unwrap(), Some(info()));
        assert_eq!(cache.get(fetch()).await.unwrap(), Some(info()));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "the second answer was kept"
        );
    }
}

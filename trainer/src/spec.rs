//! A training job as the trainer receives it (`run --spec job.json`, or the
//! body of `POST /v1/jobs`). The types and their validation are the cluster
//! contract's, in the domain crate, so the server that sends a spec and the
//! trainer that runs it cannot disagree; a [`SpecError`] becomes
//! [`crate::TrainerError::Spec`].

pub use brightrun::cluster::{
    BaseDtype, DeviceRequest, GpuRequest, HyperParams, InitAdapter, JobSpec, Output, Report,
    SpecError,
};
pub use brightrun::training::Scheduler as Schedule;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TrainerError;

    #[test]
    fn a_bad_device_or_dtype_is_a_spec_error_naming_the_field() {
        let spec = |extra: &str| {
            format!(
                r#"{{{extra},"job_id":"j","base_model":"tiny-llama","dataset":"d.jsonl","output":{{"folder":"o"}}}}"#
            )
        };
        for (extra, field) in [
            (r#""device":"tpu""#, "device"),
            (r#""dtype":"int8""#, "dtype"),
        ] {
            let e: TrainerError = JobSpec::from_json(&spec(extra)).unwrap_err().into();
            match &e {
                TrainerError::Spec { field: f, .. } => assert_eq!(f, field, "{e}"),
                other => panic!("{other}"),
            }
            assert!(e.to_string().contains(&format!("`{field}`")), "{e}");
        }
    }
}

//! What Ray is sent for a BrightRun job: the entrypoint that runs the
//! trainer on its spec, and the resources it needs (GPUs by Ray's
//! `accelerator_type:` names).

use brightrun::cluster::JobSpec;
use serde_json::{Value, json};

/// The Ray accelerator type of a catalog GPU (Ray's `accelerator_type:` resources).
pub fn accelerator(gpu_type: &str) -> String {
    match gpu_type {
        "t4" => "T4".into(),
        "l4" => "L4".into(),
        "a10g" => "A10G".into(),
        "a100-40gb" => "A100-40G".into(),
        "a100-80gb" => "A100-80G".into(),
        "h100-80gb" => "H100".into(),
        other => other.to_uppercase(),
    }
}

/// `value` as one shell word.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// The body of `POST /api/jobs/` for the job `id` whose spec is at
/// `spec_url`, run by `entrypoint` (its `{spec}` replaced by the URL).
pub fn submission(id: &str, spec: &JobSpec, spec_url: &str, entrypoint: &str) -> Value {
    let gpu = spec.gpu.as_ref().map(|g| (g.gpu_type.as_str(), g.count));
    let mut body = body(id, spec_url, entrypoint, "1");
    body["metadata"]["brightrun_owner"] = json!(spec.owner.clone().unwrap_or_default());
    if let Some((gpu_type, count)) = gpu.filter(|(t, _)| *t != "cpu") {
        body["entrypoint_num_gpus"] = json!(count);
        body["entrypoint_resources"] =
            json!({ format!("accelerator_type:{}", accelerator(gpu_type)): 0.001 });
    }
    body
}

/// The body for the export `id` (one CPU; marked apart from training jobs,
/// whose listing leaves it out).
pub fn export_submission(id: &str, spec_url: &str, entrypoint: &str) -> Value {
    body(id, spec_url, entrypoint, "export")
}

fn body(id: &str, spec_url: &str, entrypoint: &str, kind: &str) -> Value {
    let entrypoint = entrypoint.replace("{spec}", &shell_quote(spec_url));
    json!({
        "submission_id": id,
        "entrypoint": entrypoint,
        "entrypoint_num_cpus": 1,
        "metadata": {"brightrun": kind, "brightrun_job": id},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_go_in_one_shell_word_and_gpus_get_ray_names() {
        assert_eq!(
            shell_quote("http://x/a?b=1&c='d'"),
            r"'http://x/a?b=1&c='\''d'\'''"
        );
        assert_eq!(accelerator("a100-80gb"), "A100-80G");
        assert_eq!(accelerator("h100-80gb"), "H100");
    }
}

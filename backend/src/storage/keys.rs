//! Object keys, built and parsed here and nowhere else: datasets
//! (`lora-datasets/…`), models' adapters (`lora-models/…`), Hub models for
//! remote trainers (`base-models/…`) and Ray jobs' specs and reports
//! (`ray-jobs/…`). The database stores only keys and prefixes; URLs are
//! signed on request. A name a user gives passes [`safe_file_name`].

use crate::error::ServiceError;
use uuid::Uuid;

/// Longest accepted file name, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 200;

/// `lora-datasets/{user_id}/{dataset_id}/{file_name}`
pub fn dataset_object(user: Uuid, dataset: Uuid, file_name: &str) -> Result<String, ServiceError> {
    Ok(format!(
        "lora-datasets/{user}/{dataset}/{}",
        safe_file_name(file_name)?
    ))
}

/// Where a dataset's file is uploaded before it is confirmed:
/// `lora-datasets/{user_id}/{dataset_id}/upload/{file_name}` for the dataset
/// object `key`. Confirming moves it to `key`, so nothing written through the
/// upload URL afterwards (it stays valid until it expires, and an S3 URL
/// cannot be revoked) reaches the file that was validated and is trained on.
pub fn dataset_upload_object(key: &str) -> String {
    match key.rsplit_once('/') {
        Some((folder, file)) => format!("{folder}/upload/{file}"),
        None => format!("upload/{key}"),
    }
}

/// `lora-models/{user_id}/{model_id}/{kind}/{file_name}`
pub fn model_object(
    user: Uuid,
    model: Uuid,
    kind: &str,
    file_name: &str,
) -> Result<String, ServiceError> {
    Ok(format!(
        "lora-models/{user}/{model}/{}/{}",
        safe_file_name(kind)?,
        safe_file_name(file_name)?
    ))
}

/// `lora-models/{user_id}/{model_id}/adapter/`: where a model's adapter
/// files are (a model's `storage_prefix`).
pub fn adapter_prefix(user: Uuid, model: Uuid) -> String {
    format!("lora-models/{user}/{model}/adapter/")
}

/// `lora-models/{user_id}/{model_id}/adapter/{file_name}`
pub fn adapter_object(user: Uuid, model: Uuid, file_name: &str) -> Result<String, ServiceError> {
    Ok(format!(
        "{}{}",
        adapter_prefix(user, model),
        safe_file_name(file_name)?
    ))
}

/// `lora-models/{user_id}/{model_id}/exports/`: where a model's exports are.
pub fn exports_root(user: Uuid, model: Uuid) -> String {
    format!("lora-models/{user}/{model}/exports/")
}

/// `lora-models/{user_id}/{model_id}/exports/{format}/`: where a model's
/// export in one format is stored (a model export's `storage_prefix`).
pub fn export_prefix(user: Uuid, model: Uuid, format: &str) -> String {
    format!("{}{format}/", exports_root(user, model))
}

/// The object of an export's file under its prefix: `relative` is the path
/// the trainer wrote under its output folder, each segment a plain name.
pub fn export_object(prefix: &str, relative: &str) -> Result<String, ServiceError> {
    for segment in relative.split('/') {
        safe_file_name(segment)?;
    }
    Ok(format!("{prefix}{relative}"))
}

/// The object `file_name` under a stored prefix (a model's
/// `storage_prefix`, ending in `/`). The names are this server's own
/// (`jobs::spec::ARTIFACTS`), never a user's.
pub fn object_in(prefix: &str, file_name: &str) -> String {
    format!("{prefix}{file_name}")
}

/// The two ids after `prefix` in `key` (`{prefix}{owner}/{object}/…`).
fn ids_after(prefix: &str, key: &str) -> Option<(Uuid, Uuid)> {
    let mut parts = key.strip_prefix(prefix)?.split('/');
    let owner = parts.next()?.parse().ok()?;
    let object = parts.next()?.parse().ok()?;
    Some((owner, object))
}

/// Owner and model of a model object key (`lora-models/<owner>/<model>/…`).
pub fn model_of_key(key: &str) -> Option<(Uuid, Uuid)> {
    ids_after("lora-models/", key)
}

/// Whether `key` is under the datasets' folder (`lora-datasets/…`).
pub fn is_dataset_key(key: &str) -> bool {
    key.starts_with("lora-datasets/")
}

/// Owner and dataset of a dataset object key
/// (`lora-datasets/<owner>/<dataset>/…`).
pub fn dataset_of_key(key: &str) -> Option<(Uuid, Uuid)> {
    ids_after("lora-datasets/", key)
}

/// `ray-jobs/{cluster_job_id}/{file_name}`: a Ray job's spec and the
/// reports its trainer writes.
pub fn ray_job_object(id: &str, file_name: &str) -> String {
    format!("ray-jobs/{id}/{file_name}")
}

/// `ray-exports/{export_id}/`: an export job's spec, its view and the
/// files it uploads (`files/<n>`), until the export is stored.
pub fn ray_export_prefix(id: &str) -> String {
    format!("ray-exports/{id}/")
}

/// `base-models/{name}/{file_name}`: a Hub model's files, for trainers on
/// remote clusters (fetched through signed URLs).
pub fn base_model_object(name: &str, file_name: &str) -> Result<String, ServiceError> {
    Ok(format!(
        "base-models/{}/{}",
        safe_file_name(name)?,
        safe_file_name(file_name)?
    ))
}

/// A file name that is one plain path segment: no separators, no `..`, no
/// control characters, not empty, not too long.
pub fn safe_file_name(name: &str) -> Result<&str, ServiceError> {
    let bad = |message: &str| ServiceError::Invalid {
        field: "file_name",
        message: message.to_string(),
    };
    if name.is_empty() || name.trim().is_empty() {
        return Err(bad("Give the file a name."));
    }
    if name.chars().count() > MAX_FILE_NAME_CHARS {
        return Err(bad("File names are at most 200 characters."));
    }
    if name.contains(['/', '\\']) {
        return Err(bad(
            "The file name must not contain slashes; send only the name, not a path.",
        ));
    }
    if name == "." || name == ".." || name.starts_with("..") {
        return Err(bad("The file name must not start with '..'."));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("The file name must not contain control characters."));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_datasets_upload_object_is_beside_its_file_in_upload() {
        assert_eq!(
            super::dataset_upload_object("lora-datasets/u/d/chat.jsonl"),
            "lora-datasets/u/d/upload/chat.jsonl"
        );
    }

    use super::*;

    #[test]
    fn paths_follow_the_layout() {
        let (u, d) = (Uuid::nil(), Uuid::max());
        assert_eq!(
            dataset_object(u, d, "eq.jsonl").unwrap(),
            format!("lora-datasets/{u}/{d}/eq.jsonl")
        );
        assert_eq!(
            model_object(u, d, "adapter", "adapter_model.safetensors").unwrap(),
            format!("lora-models/{u}/{d}/adapter/adapter_model.safetensors")
        );
        assert_eq!(
            adapter_object(u, d, "adapter_model.safetensors").unwrap(),
            model_object(u, d, "adapter", "adapter_model.safetensors").unwrap()
        );
        assert_eq!(
            object_in(&adapter_prefix(u, d), "adapter_config.json"),
            format!("lora-models/{u}/{d}/adapter/adapter_config.json")
        );
        assert_eq!(ray_job_object("j-1", "spec.json"), "ray-jobs/j-1/spec.json");
        let export = export_prefix(u, d, "gguf-q8_0");
        assert_eq!(export, format!("lora-models/{u}/{d}/exports/gguf-q8_0/"));
        assert_eq!(
            export_object(&export, "merged/config.json").unwrap(),
            format!("{export}merged/config.json")
        );
        assert!(export_object(&export, "../adapter/x").is_err());
        assert!(export_object(&export, "/etc/passwd").is_err());
        assert_eq!(model_of_key(&export), Some((u, d)));
    }

    #[test]
    fn model_keys_name_owner_and_model() {
        let (o, m) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(
            model_of_key(&adapter_object(o, m, "x.json").unwrap()),
            Some((o, m))
        );
        assert_eq!(
            model_of_key(&dataset_object(o, m, "x.jsonl").unwrap()),
            None
        );
        let dataset = dataset_upload_object(&dataset_object(o, m, "x.jsonl").unwrap());
        assert!(is_dataset_key(&dataset));
        assert_eq!(dataset_of_key(&dataset), Some((o, m)));
        assert_eq!(dataset_of_key("lora-datasets/x/y/z.jsonl"), None);
    }

    #[test]
    fn unsafe_names_are_refused_naming_the_field() {
        for name in [
            "../etc/passwd",
            "a/b.jsonl",
            "a\\\\b",
            "..",
            "..hidden",
            "bad\nname",
            "tab\tname",
            "",
            "  ",
        ] {
            let err = safe_file_name(name).unwrap_err();
            assert!(
                matches!(
                    err,
                    ServiceError::Invalid {
                        field: "file_name",
                        ..
                    }
                ),
                "{name:?}"
            );
        }
        assert!(safe_file_name("EQ-12 conversations (v4).jsonl").is_ok());
        assert!(safe_file_name(&"x".repeat(201)).is_err());
    }
}

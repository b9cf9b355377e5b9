//! Object paths, built here and nowhere else. The database stores only these
//! paths; URLs are signed on request.

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

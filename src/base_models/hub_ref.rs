//! A Hub repository id and revision, checked before any request is made:
//! both go into URL paths, so only the characters the Hub itself allows.

use serde::{Deserialize, Serialize};

pub const MAX_ID_CHARS: usize = 96;
pub const MAX_REVISION_CHARS: usize = 64;
pub const DEFAULT_REVISION: &str = "main";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HubRef {
    /// `owner/name`, e.g. `Qwen/Qwen3-1.7B`.
    pub id: String,
    /// A branch, tag or commit; `main` when not given.
    pub revision: String,
}

fn name_part(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(['.', '-'])
        && !s.contains("..")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl HubRef {
    /// Trims and checks; the error names the field and says what is allowed.
    pub fn parse(id: &str, revision: Option<&str>) -> Result<Self, (&'static str, String)> {
        let id = id.trim().trim_matches('/');
        let parts: Vec<&str> = id.split('/').collect();
        if id.len() > MAX_ID_CHARS || parts.len() != 2 || !parts.iter().all(|p| name_part(p)) {
            return Err((
                "hub_id",
                format!(
                    "'{}' is not a Hub model id; write it as owner/name, e.g. Qwen/Qwen3-1.7B (letters, digits, '-', '_' and '.', at most {MAX_ID_CHARS} characters).",
                    id.chars().take(MAX_ID_CHARS).collect::<String>()
                ),
            ));
        }
        let revision = revision.map(str::trim).filter(|r| !r.is_empty());
        let revision = revision.unwrap_or(DEFAULT_REVISION);
        if revision.len() > MAX_REVISION_CHARS || !name_part(revision) {
            return Err((
                "revision",
                format!(
                    "'{}' is not a revision BrightRun accepts: a branch, tag or commit hash of letters, digits, '-', '_' and '.' (at most {MAX_REVISION_CHARS} characters).",
                    revision
                        .chars()
                        .take(MAX_REVISION_CHARS)
                        .collect::<String>()
                ),
            ));
        }
        Ok(Self {
            id: id.to_string(),
            revision: revision.to_string(),
        })
    }

    /// The folder (and base model id) a download lands in: `owner--name`,
    /// with `--revision` unless it is `main`.
    pub fn folder_name(&self) -> String {
        let base = self.id.replace('/', "--");
        if self.revision == DEFAULT_REVISION {
            base
        } else {
            format!("{base}--{}", self.revision)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_revisions_are_checked_and_named() {
        let r = HubRef::parse(" Qwen/Qwen3-1.7B ", None).unwrap();
        assert_eq!(r.revision, "main");
        assert_eq!(r.folder_name(), "Qwen--Qwen3-1.7B");
        let r = HubRef::parse("google/gemma-2-2b", Some("v1.0")).unwrap();
        assert_eq!(r.folder_name(), "google--gemma-2-2b--v1.0");
        for bad in [
            "qwen",
            "a/b/c",
            "../x",
            "a/..",
            "a/b c",
            "a/.hidden",
            "",
            "/",
        ] {
            let (field, message) = HubRef::parse(bad, None).unwrap_err();
            assert_eq!(field, "hub_id", "{bad}");
            assert!(message.contains("owner/name"), "{message}");
        }
        for bad in ["../main", "refs/pr/1", "a b", "..", &"x".repeat(65)] {
            let (field, _) = HubRef::parse("a/b", Some(bad)).unwrap_err();
            assert_eq!(field, "revision", "{bad}");
        }
        assert!(HubRef::parse(&format!("a/{}", "b".repeat(95)), None).is_err());
    }
}

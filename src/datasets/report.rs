//! The validation report: every error and warning with where it is (JSONL
//! line or JSON path), the field, a message and a fix hint. Only the first
//! `MAX_LISTED` of each are kept; the counts per kind are always complete.

use super::conversation::DatasetFormat;
use super::stats::DatasetStats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const MAX_LISTED: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    // errors
    EmptyFile,
    InvalidUtf8,
    InvalidJson,
    LineTooLong,
    UnknownFormat,
    MissingField,
    WrongType,
    InvalidValue,
    NoTrainableExamples,
    FileTooLarge,
    // warnings
    HeaderMismatch,
    MissingHeader,
    DuplicateExample,
    OverMaxLength,
    EmptyTarget,
    UnknownRole,
}

impl IssueKind {
    pub fn is_error(self) -> bool {
        !matches!(
            self,
            Self::HeaderMismatch
                | Self::MissingHeader
                | Self::DuplicateExample
                | Self::OverMaxLength
                | Self::EmptyTarget
                | Self::UnknownRole
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportIssue {
    pub kind: IssueKind,
    /// 1-based line number (JSONL files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// JSON path such as `conversations[3].training_pairs[2].target_response` (JSON files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
    pub hint: String,
}

impl ReportIssue {
    /// Where the issue is, for people: `line 12` or `conversations[0]…`.
    pub fn location(&self) -> String {
        match (&self.line, &self.path) {
            (Some(line), _) => format!("line {line}"),
            (None, Some(path)) => path.clone(),
            (None, None) => "file".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValidationReport {
    pub format: Option<DatasetFormat>,
    pub valid: bool,
    pub errors: Vec<ReportIssue>,
    pub warnings: Vec<ReportIssue>,
    pub error_counts: BTreeMap<IssueKind, u64>,
    pub warning_counts: BTreeMap<IssueKind, u64>,
    pub stats: DatasetStats,
}

impl ValidationReport {
    pub fn push(&mut self, issue: ReportIssue) {
        let (list, counts) = if issue.kind.is_error() {
            (&mut self.errors, &mut self.error_counts)
        } else {
            (&mut self.warnings, &mut self.warning_counts)
        };
        *counts.entry(issue.kind).or_default() += 1;
        if list.len() < MAX_LISTED {
            list.push(issue);
        }
    }

    /// Orders the listed issues by line (stable; issues about the whole file last).
    pub(crate) fn sort_by_line(&mut self) {
        let key = |i: &ReportIssue| (i.line.is_none(), i.line);
        self.errors.sort_by_key(key);
        self.warnings.sort_by_key(key);
    }

    pub fn error_total(&self) -> u64 {
        self.error_counts.values().sum()
    }

    pub fn warning_total(&self) -> u64 {
        self.warning_counts.values().sum()
    }
}

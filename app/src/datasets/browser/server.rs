//! The server's side of the wizard's browser API. The server renders the
//! wizard but never runs its handlers: it never has a chosen file or an
//! upload, so these types have no values and their methods cannot be
//! reached.

use super::Sent;
use brightrun::datasets::{UploadTarget, ValidationReport};
use leptos::prelude::*;

/// A file the user chose; there is none on the server.
#[derive(Clone)]
pub enum ChosenFile {}

/// An upload in flight; there is none on the server.
pub enum Upload {}

/// A slot for a browser-only value (a file, an upload).
pub type Held<T> = StoredValue<Option<T>>;

pub fn held<T: Send + Sync + 'static>() -> Held<T> {
    StoredValue::new(None)
}

impl ChosenFile {
    pub fn from_input(_: &leptos::ev::Event) -> Option<Self> {
        None
    }

    pub fn from_drop(_: &leptos::ev::DragEvent) -> Option<Self> {
        None
    }

    pub fn name(&self) -> String {
        match *self {}
    }

    pub fn size(&self) -> u64 {
        match *self {}
    }

    pub fn check(
        &self,
        _max_bytes: u64,
        _progress: impl Fn(f64) + 'static,
        _done: impl FnOnce(Result<ValidationReport, String>) + 'static,
    ) {
        match *self {}
    }
}

impl Upload {
    pub fn start(
        _target: &UploadTarget,
        file: &ChosenFile,
        _progress: impl Fn(Sent) + 'static,
        _done: impl Fn(Result<(), String>) + 'static,
    ) -> Result<Self, String> {
        match *file {}
    }

    pub fn abort(&self) {
        match *self {}
    }
}

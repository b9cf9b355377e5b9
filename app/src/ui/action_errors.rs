//! What a form shows of its server action's last run. Pages dispatch a
//! `ServerAction` (or submit an `ActionForm`) and read pending state and
//! errors from it, instead of keeping their own busy and error signals.

use crate::AppError;
use leptos::prelude::*;

/// The errors of an action's last run, as signals a view can show. A new
/// run replaces them when it ends; `clear()` the action to hide them at once.
pub trait ActionErrors {
    /// The last run's error, whatever it was about.
    fn last_error(&self) -> Signal<Option<AppError>>;
    /// The message for `field`, when the last run's error is about it.
    fn field_error(&self, field: &'static str) -> Signal<Option<String>>;
    /// The last run's error when it belongs to no field.
    fn general_error(&self) -> Signal<Option<AppError>>;
}

impl<I, T> ActionErrors for Action<I, Result<T, AppError>>
where
    I: Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    fn last_error(&self) -> Signal<Option<AppError>> {
        let action = *self;
        Signal::derive(move || {
            action
                .value()
                .with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned()))
        })
    }

    fn field_error(&self, field: &'static str) -> Signal<Option<String>> {
        let error = self.last_error();
        Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.for_field(field))))
    }

    fn general_error(&self) -> Signal<Option<AppError>> {
        let error = self.last_error();
        Signal::derive(move || error.get().filter(AppError::is_general))
    }
}

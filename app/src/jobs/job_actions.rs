//! What can be done to a job from its page: cancel while it is active
//! (after the kit's AlertDialog asks), retry once it has failed or been
//! cancelled, and open the model it produced. Cancel and retry are server
//! actions the page owns, as is whether the dialog is open: this part is
//! drawn again at every refresh, and they outlive it.

use super::api::{CancelJob, RetryJob};
use crate::ui::{AlertDialog, Button};
use brightrun::jobs::Job;
use leptos::prelude::*;

#[component]
pub fn JobActions(
    job: Job,
    cancel: ServerAction<CancelJob>,
    retry: ServerAction<RetryJob>,
    confirming: RwSignal<bool>,
) -> impl IntoView {
    let id = job.id;
    let busy = Signal::derive(move || cancel.pending().get() || retry.pending().get());
    view! {
        <div class="header-actions">
            {job.is_active().then(|| view! {
                <Show when=move || confirming.get() fallback=move || view! {
                    <Button variant="danger" test_id="cancel-job" on_click=Callback::new(move |_| confirming.set(true))>"Cancel job"</Button>
                }>
                    <AlertDialog open=confirming inline=true label="Confirm cancel"
                        message="Stop this run? Progress so far is kept; no adapter is produced."
                        confirm_label="Yes, cancel" cancel_label="Keep training" confirm_test_id="confirm-cancel"
                        pending=busy on_confirm=Callback::new(move |_| { cancel.dispatch(CancelJob { id }); })/>
                </Show>
            })}
            {brightrun::jobs::can_retry(job.status).then(|| view! {
                <Button test_id="retry-job" disabled=busy on_click=Callback::new(move |_| { retry.dispatch(RetryJob { id }); })>"Retry"</Button>
            })}
            {job.model_id.map(|m| view! {
                <a class="btn btn-primary btn-md" href=format!("/models/{m}") data-testid="model-link">"View model"</a>
            })}
        </div>
    }
}

//! AlertDialog: the question asked before something that cannot be undone
//! (cancel a run, delete a dataset or a model). It opens in place, beside
//! what it is about, rather than over the page; the page owns `open` and
//! puts the button that opens it where it fits.

use super::Button;
use leptos::prelude::*;

/// Shown while `open`: `message`, a danger button that runs `on_confirm`
/// (disabled while `pending`) and one that closes the dialog. `inline`
/// makes it a compact row, for a page header.
#[component]
pub fn AlertDialog(
    open: RwSignal<bool>,
    /// What the dialog asks, for assistive technology ("Confirm cancel").
    #[prop(into)]
    label: String,
    #[prop(into)] message: String,
    #[prop(into)] confirm_label: String,
    #[prop(into)] cancel_label: String,
    confirm_test_id: &'static str,
    on_confirm: Callback<()>,
    #[prop(optional, into)] pending: Signal<bool>,
    #[prop(optional)] inline: bool,
) -> impl IntoView {
    let class = if inline {
        "alert-dialog alert-dialog-inline"
    } else {
        "alert-dialog"
    };
    move || {
        open.get().then(|| {
            let (confirm_label, cancel_label) = (confirm_label.clone(), cancel_label.clone());
            view! {
                <div class=class role="alertdialog" aria-label=label.clone()>
                    <p>{message.clone()}</p>
                    <div class="actions">
                        <Button variant="danger" size="sm" test_id=confirm_test_id disabled=pending
                            on_click=Callback::new(move |_| on_confirm.run(()))>
                            {confirm_label}
                        </Button>
                        <Button variant="secondary" size="sm" on_click=Callback::new(move |_| open.set(false))>
                            {cancel_label}
                        </Button>
                    </div>
                </div>
            }
        })
    }
}

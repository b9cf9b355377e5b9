//! The download panel: signed links (valid an hour) to each adapter file
//! and to a `.tar.gz` of all of them, fetched when asked for (the
//! `model_download` server action: links are signed on demand, not with
//! the page).

use super::api::ModelDownloadLinks;
use crate::datasets::status_badge::megabytes;
use crate::ui::{ActionError, ActionErrors, Button, Card};
use brightrun::models::ModelDownload;
use leptos::prelude::*;
use uuid::Uuid;

#[component]
pub fn DownloadPanel(id: Uuid) -> impl IntoView {
    let links = ServerAction::<ModelDownloadLinks>::new();
    let fetched = move || links.value().get().and_then(Result::ok);
    view! {
        <Card title="Download">
            <p class="muted small">"A PEFT adapter folder: load it with "<code>"PeftModel.from_pretrained(base, folder)"</code>", or pass it to vLLM or LoRAX as a LoRA module."</p>
            <ActionError error=links.last_error() title="Could not sign the links."/>
            {move || match fetched() {
                None => view! {
                    <Button on_click=Callback::new(move |_| { links.dispatch(ModelDownloadLinks { id }); })
                        disabled=links.pending() test_id="get-downloads">"Get download links"</Button>
                }.into_any(),
                Some(d) => view! { <DownloadLinks download=d/> }.into_any(),
            }}
        </Card>
    }
}

#[component]
fn DownloadLinks(download: ModelDownload) -> impl IntoView {
    let d = download;
    view! {
        <ul class="download-list" data-testid="download-links">
            {d.files.into_iter().map(|f| view! {
                <li>
                    <a href=f.url.clone() download=f.name.clone() rel="external" data-testid="download-file" data-name=f.name.clone()>{f.name.clone()}</a>
                    <span class="muted small">{f.size_bytes.map(megabytes).map(|s| format!(" · {s}")).unwrap_or_default()}</span>
                </li>
            }).collect_view()}
            <li>
                <a href=d.bundle.url.clone() rel="external" data-testid="download-bundle"><strong>"All files (.tar.gz)"</strong></a>
            </li>
        </ul>
        <p class="muted small">{format!("Links expire at {} UTC.", d.expires_at.format("%H:%M"))}</p>
    }
}

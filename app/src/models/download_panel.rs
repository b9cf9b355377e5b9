//! The download panel: signed links (valid an hour) to each adapter file
//! and to a `.tar.gz` of all of them, fetched when asked for.

use super::api::model_download_links;
use crate::datasets::status_badge::megabytes;
use crate::ui::{Button, Card};
use brightrun::models::ModelDownload;
use leptos::prelude::*;
use uuid::Uuid;

#[component]
pub fn DownloadPanel(id: Uuid) -> impl IntoView {
    let links = RwSignal::new(None::<Result<ModelDownload, crate::AppError>>);
    let fetch = move |_| {
        leptos::task::spawn_local(async move {
            links.set(Some(model_download_links(id).await));
        });
    };
    view! {
        <Card title="Download">
            <p class="muted small">"A PEFT adapter folder: load it with "<code>"PeftModel.from_pretrained(base, folder)"</code>", or pass it to vLLM or LoRAX as a LoRA module."</p>
            {move || match links.get() {
                None => view! { <Button on_click=Callback::new(fetch) test_id="get-downloads">"Get download links"</Button> }.into_any(),
                Some(Err(e)) => view! { <p class="alert alert-error">{e.to_string()}</p> }.into_any(),
                Some(Ok(d)) => view! {
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
                }.into_any(),
            }}
        </Card>
    }
}

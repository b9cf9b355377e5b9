//! `/datasets/new`: choose a file (picker or drag and drop), see it
//! validated in the browser with the same validator the server runs, then
//! upload it straight to the signed URL with progress, and confirm. Cancel
//! stops the upload and removes the pending dataset and any partial object.
//! The page is the [`DatasetUploadForm`] under its header.

use super::upload_form::DatasetUploadForm;
use leptos::prelude::*;

#[component]
pub fn NewDatasetPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Upload a dataset · BrightRun"/>
        <header class="page-header">
            <div>
                <h1>"Upload a dataset"</h1>
                <p class="muted">"brightrun-lora-v4 JSONL or JSON, v3 JSON, or OpenAI chat JSONL, up to 500 MB. The file is checked here before a byte is sent."</p>
            </div>
        </header>
        <DatasetUploadForm/>
    }
}

//! `/datasets/new`: choose a file (picker or drag and drop), see it
//! validated in the browser with the same validator the server runs, then
//! upload it straight to the signed URL with progress, and confirm. Cancel
//! stops the upload and removes the pending dataset and any partial object.

use crate::ui::{Button, Card, FieldError, Input, Label, Progress};
use brightrun::datasets::ValidationReport;
use leptos::prelude::*;
use uuid::Uuid;

/// The chosen file: a browser `File` once hydrated; nothing on the server.
#[cfg(feature = "hydrate")]
type FileHandle = web_sys::File;
#[cfg(not(feature = "hydrate"))]
type FileHandle = ();

/// Upload limit shown before the server says so; the server's is the one that counts.
pub const MAX_UPLOAD_BYTES: u64 = 500 * 1024 * 1024;

// The server never runs the wizard's steps; only the browser moves through them.
#[cfg_attr(not(feature = "hydrate"), expect(dead_code))]
#[derive(Clone, PartialEq)]
enum Phase {
    Choose,
    Checking(f64),
    Checked,
    Uploading { fraction: f64, detail: String },
    Confirming,
}

#[component]
pub fn NewDatasetPage() -> impl IntoView {
    // A browser File is not Send: kept thread-local in the browser. On the
    // server the page renders on any worker thread, and a thread-local value
    // dropped from another one panics, so there it is an ordinary value.
    #[cfg(feature = "hydrate")]
    let file = StoredValue::new_local(None::<FileHandle>);
    #[cfg(not(feature = "hydrate"))]
    let file = StoredValue::new(None::<FileHandle>);
    let file_label = RwSignal::new(None::<(String, u64)>);
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let phase = RwSignal::new(Phase::Choose);
    let report = RwSignal::new(None::<ValidationReport>);
    let error = RwSignal::new(None::<String>);
    let name_error = RwSignal::new(None::<String>);
    let created = RwSignal::new(None::<Uuid>);
    #[cfg(feature = "hydrate")]
    let xhr = StoredValue::new_local(None::<web_sys::XmlHttpRequest>);

    // Takes a chosen file: remembers it and validates it in the browser.
    #[cfg(feature = "hydrate")]
    let choose = move |f: web_sys::File| {
        let size = f.size() as u64;
        let fname = f.name();
        if name.get_untracked().trim().is_empty() {
            name.set(
                fname
                    .rsplit_once('.')
                    .map(|(stem, _)| stem.to_string())
                    .unwrap_or(fname.clone()),
            );
        }
        file_label.set(Some((fname, size)));
        report.set(None);
        error.set(None);
        file.set_value(Some(f.clone()));
        phase.set(Phase::Checking(0.0));
        leptos::task::spawn_local(async move {
            match super::browser::validate_file(&f, MAX_UPLOAD_BYTES, |p| {
                phase.set(Phase::Checking(p))
            })
            .await
            {
                Ok(outcome) => {
                    report.set(Some(outcome.report));
                    phase.set(Phase::Checked);
                }
                Err(e) => {
                    error.set(Some(e));
                    phase.set(Phase::Choose);
                }
            }
        });
    };

    let on_pick = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let input: web_sys::HtmlInputElement = ev.target().unwrap().unchecked_into();
            if let Some(f) = input.files().and_then(|l| l.get(0)) {
                choose(f);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        if let Some(f) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|l| l.get(0))
        {
            choose(f);
        }
    };

    let upload = move |_| {
        name_error.set(None);
        error.set(None);
        if name.get_untracked().trim().is_empty() {
            name_error.set(Some("Give the dataset a name.".into()));
            return;
        }
        #[cfg(feature = "hydrate")]
        {
            let Some(f) = file.get_value() else { return };
            phase.set(Phase::Uploading {
                fraction: 0.0,
                detail: "starting…".into(),
            });
            leptos::task::spawn_local(async move {
                let desc = description.get_untracked();
                let made = super::api::create_dataset(
                    name.get_untracked(),
                    (!desc.trim().is_empty()).then_some(desc),
                    f.name(),
                    f.size() as u64,
                )
                .await;
                let made = match made {
                    Ok(m) => m,
                    Err(e) => {
                        match e.for_field("name") {
                            Some(m) => name_error.set(Some(m)),
                            None => error.set(Some(e.to_string())),
                        }
                        phase.set(Phase::Checked);
                        return;
                    }
                };
                let id = made.dataset.id;
                created.set(Some(id));
                let started = js_sys::Date::now();
                let request = super::browser::upload(
                    &made.upload,
                    &f,
                    move |loaded, total| {
                        let secs = ((js_sys::Date::now() - started) / 1000.0).max(0.001);
                        let rate = loaded / secs;
                        let left = if rate > 0.0 {
                            (total - loaded) / rate
                        } else {
                            0.0
                        };
                        phase.set(Phase::Uploading {
                            fraction: loaded / total.max(1.0),
                            detail: format!(
                                "{:.0}% · {:.1} MB/s · {:.0} s left",
                                loaded / total.max(1.0) * 100.0,
                                rate / 1_048_576.0,
                                left
                            ),
                        });
                    },
                    move |result| match result {
                        Ok(()) => {
                            phase.set(Phase::Confirming);
                            leptos::task::spawn_local(async move {
                                match super::api::confirm_dataset(id).await {
                                    Ok(_) => {
                                        let nav = leptos_router::hooks::use_navigate();
                                        nav(&format!("/datasets/{id}"), Default::default());
                                    }
                                    Err(e) => {
                                        error.set(Some(e.to_string()));
                                        phase.set(Phase::Checked);
                                    }
                                }
                            });
                        }
                        Err(message) => {
                            error.set(Some(format!("Upload failed: {message}")));
                            phase.set(Phase::Checked);
                            leptos::task::spawn_local(async move {
                                let _ = super::api::cancel_dataset_upload(id).await;
                            });
                            created.set(None);
                        }
                    },
                );
                match request {
                    Ok(r) => xhr.set_value(Some(r)),
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };

    let cancel = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(r) = xhr.get_value() {
            r.set_onload(None);
            r.set_onerror(None);
            let _ = r.abort();
            xhr.set_value(None);
        }
        if let Some(id) = created.get_untracked() {
            created.set(None);
            leptos::task::spawn_local(async move {
                let _ = super::api::cancel_dataset_upload(id).await;
            });
        }
        file.set_value(None);
        file_label.set(None);
        report.set(None);
        phase.set(Phase::Choose);
    };

    let has_errors = move || report.get().is_some_and(|r| !r.valid);
    let busy = Signal::derive(move || {
        matches!(
            phase.get(),
            Phase::Checking(_) | Phase::Uploading { .. } | Phase::Confirming
        )
    });
    let can_upload = Signal::derive(move || {
        phase.get() == Phase::Checked && report.get().is_some_and(|r| r.valid)
    });

    view! {
        <leptos_meta::Title text="Upload a dataset · BrightRun"/>
        <header class="page-header">
            <div>
                <h1>"Upload a dataset"</h1>
                <p class="muted">"brightrun-lora-v4 JSONL or JSON, v3 JSON, or OpenAI chat JSONL, up to 500 MB. The file is checked here before a byte is sent."</p>
            </div>
        </header>
        <Card title="1. Choose the file">
            <label class="dropzone" data-testid="dropzone"
                on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                on:drop=on_drop>
                <input type="file" accept=".jsonl,.json,application/json" data-testid="file-input" on:change=on_pick disabled=move || busy.get()/>
                {move || match file_label.get() {
                    Some((n, size)) => view! { <span><strong>{n}</strong>" · "{super::status_badge::megabytes(size)}</span> }.into_any(),
                    None => view! { <span>"Drop a file here, or click to choose one"</span> }.into_any(),
                }}
            </label>
            {move || match phase.get() {
                Phase::Checking(p) => Some(view! {
                    <div class="phase" data-testid="checking">
                        <p class="muted">{format!("Checking the file in your browser… {:.0}%", p * 100.0)}</p>
                        <Progress value=Signal::derive(move || match phase.get() { Phase::Checking(p) => p, _ => 1.0 }) label="Validation progress"/>
                    </div>
                }.into_any()),
                _ => None,
            }}
            {move || report.get().map(|r| view! {
                <div class="phase">
                    {if r.valid {
                        view! { <p class="alert alert-success" data-testid="precheck-ok">{format!("Looks good: {} trainable examples in {} conversations (token counts here are estimates; the server counts them exactly).", r.stats.trainable_examples, r.stats.conversations)}</p> }.into_any()
                    } else {
                        view! { <p class="alert alert-error" data-testid="precheck-failed">"This file has errors. Fix them and choose it again; nothing has been uploaded."</p> }.into_any()
                    }}
                    <super::report_view::ReportView report=r/>
                </div>
            })}
        </Card>
        <Card title="2. Describe it">
            <div class="field">
                <Label for_id="dataset-name">"Name"</Label>
                <Input id="dataset-name" name="name" value=name placeholder="EQ-12 financial conversations"/>
                <FieldError message=name_error/>
            </div>
            <div class="field">
                <Label for_id="dataset-description">"Description (optional)"</Label>
                <textarea id="dataset-description" class="input" rows="3"
                    prop:value=move || description.get()
                    on:input=move |ev| description.set(event_target_value(&ev))></textarea>
            </div>
        </Card>
        <Card title="3. Upload">
            {move || match phase.get() {
                Phase::Uploading { detail, .. } => Some(view! {
                    <div class="phase" data-testid="uploading">
                        <Progress value=Signal::derive(move || match phase.get() { Phase::Uploading { fraction, .. } => fraction, _ => 1.0 }) label="Upload progress"/>
                        <p class="muted" data-testid="upload-detail">{detail}</p>
                    </div>
                }.into_any()),
                Phase::Confirming => Some(view! { <p class="muted">"Upload complete; confirming…"</p> }.into_any()),
                _ => None,
            }}
            {move || error.get().map(|e| view! { <div class="alert alert-error" role="alert">{e}</div> })}
            <div class="actions">
                <Button disabled=Signal::derive(move || !can_upload.get()) on_click=Callback::new(upload) test_id="upload-button">
                    {move || if has_errors() { "Fix the errors to upload" } else { "Upload and validate" }}
                </Button>
                <Button variant="secondary" on_click=Callback::new(cancel) test_id="cancel-button">"Cancel"</Button>
                <a class="btn btn-ghost btn-md" href="/datasets">"Back to datasets"</a>
            </div>
        </Card>
    }
}

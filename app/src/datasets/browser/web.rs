//! The browser's side of the wizard's browser API: the chosen `File`, read
//! in 4 MB slices through the shared validator, and sent to the upload
//! target (a signed PUT, or S3's presigned POST form) with XMLHttpRequest
//! so upload progress can be shown.

use super::Sent;
use brightrun::datasets::validator::Outcome;
use brightrun::datasets::{
    CharEstimate, UploadTarget, ValidationLimits, ValidationReport, Validator,
};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// A file the user chose.
#[derive(Clone)]
pub struct ChosenFile(web_sys::File);

/// An upload in flight.
#[derive(Clone)]
pub struct Upload(web_sys::XmlHttpRequest);

/// A slot for a browser value: thread-local, as a `File` is not `Send`.
pub type Held<T> = StoredValue<Option<T>, LocalStorage>;

pub fn held<T: 'static>() -> Held<T> {
    StoredValue::new_local(None)
}

impl ChosenFile {
    /// The file picked in an `<input type=file>`'s change event.
    pub fn from_input(ev: &leptos::ev::Event) -> Option<Self> {
        let input: web_sys::HtmlInputElement = ev.target()?.unchecked_into();
        input.files()?.get(0).map(Self)
    }

    /// The file dropped in a drop event.
    pub fn from_drop(ev: &leptos::ev::DragEvent) -> Option<Self> {
        ev.data_transfer()?.files()?.get(0).map(Self)
    }

    pub fn name(&self) -> String {
        self.0.name()
    }

    pub fn size(&self) -> u64 {
        self.0.size() as u64
    }

    /// Reads the file through the validator in the background (a browser
    /// task: the file is never sent for this); `progress` from 0 to 1.
    pub fn check(
        &self,
        max_bytes: u64,
        progress: impl Fn(f64) + 'static,
        done: impl FnOnce(Result<ValidationReport, String>) + 'static,
    ) {
        let file = self.0.clone();
        leptos::task::spawn_local(async move {
            let outcome = validate_file(&file, max_bytes, progress).await;
            done(outcome.map(|o| o.report));
        });
    }
}

impl Upload {
    /// Starts sending `file` to `target`; `progress` on every progress
    /// event, `done` once with the outcome.
    pub fn start(
        target: &UploadTarget,
        file: &ChosenFile,
        progress: impl Fn(Sent) + 'static,
        done: impl Fn(Result<(), String>) + 'static,
    ) -> Result<Self, String> {
        let started = js_sys::Date::now();
        let progress = move |loaded, total| {
            let seconds = (js_sys::Date::now() - started) / 1000.0;
            progress(Sent {
                loaded,
                total,
                seconds,
            });
        };
        upload(target, &file.0, progress, done).map(Self)
    }

    /// Stops the upload without reporting it.
    pub fn abort(&self) {
        self.0.set_onload(None);
        self.0.set_onerror(None);
        let _ = self.0.abort();
    }
}

const SLICE: f64 = 4.0 * 1024.0 * 1024.0;

/// Lets the browser paint between slices.
async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback(&resolve);
        }
    });
    let _ = JsFuture::from(promise).await;
}

async fn validate_file(
    file: &web_sys::File,
    max_bytes: u64,
    progress: impl Fn(f64),
) -> Result<Outcome, String> {
    let size = file.size();
    let counter = CharEstimate;
    let mut v = Validator::new(
        &counter,
        ValidationLimits {
            max_file_bytes: max_bytes,
            ..ValidationLimits::default()
        },
    );
    let mut offset = 0.0;
    while offset < size {
        let end = (offset + SLICE).min(size);
        let blob = file
            .slice_with_f64_and_f64(offset, end)
            .map_err(|_| "cannot read the file".to_string())?;
        let buffer = JsFuture::from(blob.array_buffer())
            .await
            .map_err(|_| "cannot read the file".to_string())?;
        v.push(&js_sys::Uint8Array::new(&buffer).to_vec());
        offset = end;
        progress(offset / size);
        yield_now().await;
    }
    Ok(v.finish())
}

/// Starts the upload; `progress(loaded, total)` on every progress event,
/// `done(Ok)` on a 2xx, `done(Err(message))` otherwise.
fn upload(
    target: &UploadTarget,
    file: &web_sys::File,
    progress: impl Fn(f64, f64) + 'static,
    done: impl Fn(Result<(), String>) + 'static,
) -> Result<web_sys::XmlHttpRequest, String> {
    let xhr =
        web_sys::XmlHttpRequest::new().map_err(|_| "the browser cannot upload".to_string())?;
    let method = if target.method == "POST" {
        "POST"
    } else {
        "PUT"
    };
    xhr.open(method, &target.url)
        .map_err(|_| "cannot open the upload".to_string())?;
    let on_progress =
        Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() {
                progress(e.loaded(), e.total());
            }
        });
    xhr.upload()
        .map_err(|_| "the browser cannot report progress".to_string())?
        .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    on_progress.forget();
    let done = std::rc::Rc::new(done);
    let xhr2 = xhr.clone();
    let done_load = done.clone();
    let on_load = Closure::<dyn Fn()>::new(move || {
        let status = xhr2.status().unwrap_or(0);
        if (200..300).contains(&status) {
            done_load(Ok(()));
        } else {
            let body = xhr2.response_text().ok().flatten().unwrap_or_default();
            let details = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["details"].as_str().map(str::to_string))
                .or_else(|| s3_error(&body))
                .unwrap_or_else(|| format!("the server answered {status}"));
            done_load(Err(details));
        }
    });
    xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
    on_load.forget();
    let on_error = Closure::<dyn Fn()>::new(move || {
        done(Err("the connection failed during the upload".into()))
    });
    xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    let sent = if method == "POST" {
        // S3's form: the policy's fields first, the file last.
        let form = web_sys::FormData::new().map_err(|_| "the browser cannot upload".to_string())?;
        for (name, value) in &target.fields {
            form.append_with_str(name, value)
                .map_err(|_| "cannot build the upload form".to_string())?;
        }
        form.append_with_blob("file", file)
            .map_err(|_| "cannot build the upload form".to_string())?;
        xhr.send_with_opt_form_data(Some(&form))
    } else {
        xhr.send_with_opt_blob(Some(file))
    };
    sent.map_err(|_| "cannot send the file".to_string())?;
    Ok(xhr)
}

/// The message of an S3 error document (`<Error><Message>…</Message>`).
fn s3_error(body: &str) -> Option<String> {
    let start = body.find("<Message>")? + "<Message>".len();
    let end = start + body[start..].find("</Message>")?;
    Some(format!("storage refused the upload: {}", &body[start..end]))
}

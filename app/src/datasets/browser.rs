//! Browser-only helpers for the upload wizard: read the chosen file in 4 MB
//! slices through the shared validator, and send it to the upload target
//! (a signed PUT, or S3's presigned POST form) with XMLHttpRequest so upload
//! progress can be shown.

use brightrun::datasets::validator::Outcome;
use brightrun::datasets::{CharEstimate, ValidationLimits, Validator};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

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

pub async fn validate_file(
    file: &web_sys::File,
    max_bytes: u64,
    mut progress: impl FnMut(f64),
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
pub fn upload(
    target: &brightrun::datasets::UploadTarget,
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

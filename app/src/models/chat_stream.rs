//! A playground message sent to `POST /api/models/{id}/chat` with
//! XMLHttpRequest, whose progress events hand over the NDJSON answer as it
//! arrives; each complete line is one event. Aborting the request closes
//! the connection, which stops the generation on the server. [`Streams`]
//! holds the requests in flight; on the server (rendering) it sends nothing.

use brightrun::cluster::GenerateEvent;
use brightrun::generation::GenerationRequest;
use leptos::prelude::*;
use uuid::Uuid;

/// The answers streaming now, to stop on Stop or when the page goes away.
#[derive(Clone, Copy)]
pub struct Streams {
    #[cfg(feature = "hydrate")]
    open: StoredValue<Vec<web_sys::XmlHttpRequest>, LocalStorage>,
}

impl Streams {
    /// Streams that stop when the current component goes away.
    pub fn for_page() -> Self {
        let streams = Self {
            #[cfg(feature = "hydrate")]
            open: StoredValue::new_local(Vec::new()),
        };
        on_cleanup(move || streams.stop_all());
        streams
    }

    /// Sends `request` to `model`; `on_event` sees each event as it
    /// arrives, `on_end` the outcome once the answer is over.
    pub fn start(
        &self,
        model: Uuid,
        request: &GenerationRequest,
        on_event: impl Fn(GenerateEvent) + 'static,
        on_end: impl Fn(Result<(), String>) + 'static,
    ) -> Result<(), String> {
        #[cfg(feature = "hydrate")]
        {
            let xhr = xhr::send(model, request, on_event, on_end)?;
            self.open.update_value(|r| r.push(xhr));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (model, request, on_event, on_end);
        Ok(())
    }

    /// Aborts every answer in flight.
    pub fn stop_all(&self) {
        #[cfg(feature = "hydrate")]
        self.open.try_update_value(|r| {
            for xhr in r.drain(..) {
                let _ = xhr.abort();
            }
        });
    }
}

#[cfg(feature = "hydrate")]
mod xhr {
    use brightrun::cluster::GenerateEvent;
    use brightrun::generation::GenerationRequest;
    use std::cell::Cell;
    use std::rc::Rc;
    use uuid::Uuid;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    /// The events in `text` after byte `read` that are complete lines; moves
    /// `read` past them.
    fn new_events(text: &str, read: &Cell<usize>) -> Vec<GenerateEvent> {
        let Some(rest) = text.get(read.get()..) else {
            return vec![];
        };
        let Some(end) = rest.rfind('\n') else {
            return vec![];
        };
        read.set(read.get() + end + 1);
        rest[..end]
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Sends `request`; `on_event` sees each event as it arrives, `on_end`
    /// the outcome once the answer is over (an error message on failure).
    pub fn send(
        model: Uuid,
        request: &GenerationRequest,
        on_event: impl Fn(GenerateEvent) + 'static,
        on_end: impl Fn(Result<(), String>) + 'static,
    ) -> Result<web_sys::XmlHttpRequest, String> {
        let fail = |_| "the browser cannot send the message".to_string();
        let xhr = web_sys::XmlHttpRequest::new().map_err(fail)?;
        xhr.open("POST", &format!("/api/models/{model}/chat"))
            .map_err(fail)?;
        xhr.set_request_header("Content-Type", "application/json")
            .map_err(fail)?;
        let read = Rc::new(Cell::new(0usize));
        let on_event = Rc::new(on_event);
        let deliver = {
            let (xhr, read, on_event) = (xhr.clone(), read.clone(), on_event.clone());
            move || {
                if xhr.status().unwrap_or(0) != 200 {
                    return;
                }
                let text = xhr.response_text().ok().flatten().unwrap_or_default();
                for e in new_events(&text, &read) {
                    on_event(e);
                }
            }
        };
        let deliver = Rc::new(deliver);
        let progress = {
            let deliver = deliver.clone();
            Closure::<dyn Fn()>::new(move || deliver())
        };
        xhr.set_onprogress(Some(progress.as_ref().unchecked_ref()));
        progress.forget();
        let on_end = Rc::new(on_end);
        let load = {
            let (xhr, on_end) = (xhr.clone(), on_end.clone());
            Closure::<dyn Fn()>::new(move || {
                deliver();
                let status = xhr.status().unwrap_or(0);
                if status == 200 {
                    on_end(Ok(()));
                } else {
                    let body = xhr.response_text().ok().flatten().unwrap_or_default();
                    let details = serde_json::from_str::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v["details"].as_str().map(str::to_string))
                        .unwrap_or_else(|| format!("the server answered {status}"));
                    on_end(Err(details));
                }
            })
        };
        xhr.set_onload(Some(load.as_ref().unchecked_ref()));
        load.forget();
        let error = Closure::<dyn Fn()>::new(move || {
            on_end(Err("the connection to BrightRun failed".into()))
        });
        xhr.set_onerror(Some(error.as_ref().unchecked_ref()));
        error.forget();
        let body = serde_json::to_string(request).map_err(|e| e.to_string())?;
        xhr.send_with_opt_str(Some(&body)).map_err(fail)?;
        Ok(xhr)
    }
}

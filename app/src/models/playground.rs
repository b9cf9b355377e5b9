//! The playground on a model's page: a conversation with the fine-tuned
//! model, its answer streaming in as it is generated, with temperature,
//! top-p, max tokens and a stop sequence, and a switch to ask the base
//! model the same thing side by side. Waiting behind other requests shows
//! the place in the queue; Stop (or leaving the page) ends the generation.

use crate::ui::{Button, Card, Input, Label};
use brightrun::cluster::GenerateEvent;
use brightrun::datasets::{Message, Role};
use brightrun::generation::{GenerationRequest, Sampling};
use leptos::prelude::*;
use uuid::Uuid;

/// One side's answer as it streams: its text and a status line.
#[derive(Clone, Default, PartialEq)]
struct Answer {
    text: String,
    status: String,
    running: bool,
}

impl Answer {
    fn apply(&mut self, event: GenerateEvent) {
        match event {
            GenerateEvent::Queued { position } => {
                self.status = format!("Waiting: {position} ahead in the queue");
            }
            GenerateEvent::Loading => self.status = "Loading the model…".into(),
            GenerateEvent::Text { text } => {
                self.status = "Writing…".into();
                self.text.push_str(&text);
            }
            GenerateEvent::Done(u) => {
                let secs = u.total_ms.saturating_sub(u.first_token_ms) as f64 / 1000.0;
                let rate = if secs > 0.0 {
                    format!(" · {:.0} tokens/s", u.completion_tokens as f64 / secs)
                } else {
                    String::new()
                };
                self.status = format!(
                    "{} tokens · first after {} ms{rate}{}",
                    u.completion_tokens,
                    u.first_token_ms,
                    if u.finish_reason == brightrun::generation::FinishReason::Length {
                        " · stopped at max tokens"
                    } else {
                        ""
                    }
                );
                self.running = false;
            }
            GenerateEvent::Error { message, .. } => {
                self.status = message;
                self.running = false;
            }
        }
    }
}

/// The settings typed into the form, read into a request.
fn request(
    system: &str,
    history: &[Message],
    temperature: &str,
    top_p: &str,
    max_tokens: &str,
    stop: &str,
) -> Result<GenerationRequest, String> {
    let number = |name: &str, v: &str| -> Result<f32, String> {
        v.trim()
            .parse()
            .map_err(|_| format!("{name} must be a number, not '{v}'."))
    };
    let mut messages = Vec::new();
    if !system.trim().is_empty() {
        messages.push(Message::new(Role::System, system.to_string()));
    }
    messages.extend(history.iter().cloned());
    let r = GenerationRequest {
        messages,
        sampling: Sampling {
            temperature: number("Temperature", temperature)?,
            top_p: number("Top-p", top_p)?,
            seed: js_seed(),
            ..Sampling::default()
        },
        max_tokens: max_tokens
            .trim()
            .parse()
            .map_err(|_| format!("Max tokens must be a whole number, not '{max_tokens}'."))?,
        stop: if stop.is_empty() {
            vec![]
        } else {
            vec![stop.to_string()]
        },
        adapter: true,
    };
    r.validate().map_err(|e| e.to_string())?;
    Ok(r)
}

/// The system prompt when the dataset's is not known (no held-out samples).
const DEFAULT_SYSTEM: &str = "You are a helpful assistant.";

/// A fresh seed per message (the browser's clock), so sampling varies.
fn js_seed() -> u64 {
    #[cfg(feature = "hydrate")]
    return js_sys::Date::now() as u64;
    #[cfg(not(feature = "hydrate"))]
    0
}

#[component]
pub fn Playground(
    id: Uuid,
    /// The dataset's system prompt (from its held-out conversations).
    system: Option<String>,
) -> impl IntoView {
    let system = RwSignal::new(system.unwrap_or_else(|| DEFAULT_SYSTEM.to_string()));
    let history = RwSignal::new(Vec::<Message>::new());
    let input = RwSignal::new(String::new());
    let temperature = RwSignal::new("0.7".to_string());
    let top_p = RwSignal::new("1".to_string());
    let max_tokens = RwSignal::new("256".to_string());
    let stop = RwSignal::new(String::new());
    let compare = RwSignal::new(false);
    let tuned = RwSignal::new(Answer::default());
    let base = RwSignal::new(Answer::default());
    let error = RwSignal::new(None::<String>);
    let streams = super::chat_stream::Streams::for_page();
    let running = move || tuned.with(|a| a.running) || base.with(|a| a.running);

    let send = move |_| {
        let text = input.get_untracked();
        if text.trim().is_empty() || running() {
            return;
        }
        let mut turns = history.get_untracked();
        turns.push(Message::new(Role::User, text));
        let req = match request(
            &system.get_untracked(),
            &turns,
            &temperature.get_untracked(),
            &top_p.get_untracked(),
            &max_tokens.get_untracked(),
            &stop.get_untracked(),
        ) {
            Ok(r) => r,
            Err(e) => return error.set(Some(e)),
        };
        error.set(None);
        history.set(turns);
        input.set(String::new());
        let start = |side: RwSignal<Answer>, adapter: bool| {
            side.set(Answer {
                running: true,
                status: "Sending…".into(),
                ..Answer::default()
            });
            let req = GenerationRequest {
                adapter,
                ..req.clone()
            };
            let on_end = move |end: Result<(), String>| {
                side.update(|a| {
                    if let Err(e) = end {
                        a.status = e;
                    }
                    a.running = false;
                });
                // The fine-tuned model's answer continues the conversation.
                if adapter {
                    let reply = side.get_untracked().text;
                    history.update(|h| h.push(Message::new(Role::Assistant, reply)));
                }
            };
            let sent = streams.start(id, &req, move |e| side.update(|a| a.apply(e)), on_end);
            if let Err(e) = sent {
                side.update(|a| {
                    a.status = e;
                    a.running = false;
                });
            }
        };
        start(tuned, true);
        if compare.get_untracked() {
            start(base, false);
        } else {
            base.set(Answer::default());
        }
    };
    let stop_now = move |_| streams.stop_all();

    view! {
        <Card title="Playground">
            <div class="playground" data-testid="playground">
                <div class="field">
                    <Label for_id="pg-system">"System prompt"</Label>
                    <textarea id="pg-system" rows="2" prop:value=move || system.get()
                        on:input=move |ev| system.set(event_target_value(&ev))></textarea>
                </div>
                <ol class="chat-log" data-testid="playground-history">
                    {move || history.get().into_iter().map(|m| {
                        let who = if m.role == Role::User { "You" } else { "Model" };
                        view! { <li class=format!("chat-turn chat-{}", who.to_lowercase())><strong>{who}</strong><p>{m.content}</p></li> }
                    }).collect_view()}
                </ol>
                <div class=move || if compare.get() { "two-column" } else { "" }>
                    <div class="chat-answer">
                        <h4>"Fine-tuned"</h4>
                        <p class="chat-stream" data-testid="playground-answer">{move || tuned.with(|a| a.text.clone())}</p>
                        <p class="muted" data-testid="playground-status">{move || tuned.with(|a| a.status.clone())}</p>
                    </div>
                    {move || compare.get().then(|| view! {
                        <div class="chat-answer">
                            <h4>"Base model"</h4>
                            <p class="chat-stream" data-testid="playground-base-answer">{move || base.with(|a| a.text.clone())}</p>
                            <p class="muted" data-testid="playground-base-status">{move || base.with(|a| a.status.clone())}</p>
                        </div>
                    })}
                </div>
                <div class="field">
                    <Label for_id="pg-input">"Message"</Label>
                    <textarea id="pg-input" rows="3" data-testid="playground-input" placeholder="Ask what your users would ask…"
                        prop:value=move || input.get() on:input=move |ev| input.set(event_target_value(&ev))></textarea>
                </div>
                <div class="form-row playground-settings">
                    <div class="field"><Label for_id="pg-temperature">"Temperature"</Label><Input id="pg-temperature" name="temperature" value=temperature/></div>
                    <div class="field"><Label for_id="pg-top-p">"Top-p"</Label><Input id="pg-top-p" name="top_p" value=top_p/></div>
                    <div class="field"><Label for_id="pg-max">"Max tokens"</Label><Input id="pg-max" name="max_tokens" value=max_tokens/></div>
                    <div class="field"><Label for_id="pg-stop">"Stop at"</Label><Input id="pg-stop" name="stop" value=stop placeholder="optional"/></div>
                    <label class="checkbox"><input type="checkbox" data-testid="playground-compare"
                        prop:checked=move || compare.get() on:change=move |ev| compare.set(event_target_checked(&ev))/>" Compare with the base model"</label>
                </div>
                {move || error.get().map(|e| view! { <p class="field-error" data-testid="playground-error">{e}</p> })}
                <div class="header-actions">
                    <Button variant="primary" on_click=Callback::new(send) disabled=Signal::derive(running) test_id="playground-send">"Send"</Button>
                    <Button variant="secondary" on_click=Callback::new(stop_now) disabled=Signal::derive(move || !running()) test_id="playground-stop">"Stop"</Button>
                    <Button variant="ghost" on_click=Callback::new(move |_| { history.set(vec![]); tuned.set(Answer::default()); base.set(Answer::default()); }) test_id="playground-clear">"New conversation"</Button>
                </div>
            </div>
        </Card>
    }
}

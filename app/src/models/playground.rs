//! The playground on a model's page: a conversation with the fine-tuned
//! model, its answer streaming in as it is generated, with temperature,
//! top-p, max tokens and a stop sequence, and a switch to ask the base
//! model the same thing side by side. Waiting behind other requests shows
//! the place in the queue; Stop (or leaving the page) ends the generation.

use super::chat_stream::Streams;
use crate::ui::{Button, Card, Input, Label, Textarea};
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

/// The sampling settings as typed, and whether to ask the base model too.
#[derive(Clone, Copy)]
struct Settings {
    system: RwSignal<String>,
    temperature: RwSignal<String>,
    top_p: RwSignal<String>,
    max_tokens: RwSignal<String>,
    stop: RwSignal<String>,
    compare: RwSignal<bool>,
}

impl Settings {
    fn new(system: Option<String>) -> Self {
        Self {
            system: RwSignal::new(system.unwrap_or_else(|| DEFAULT_SYSTEM.to_string())),
            temperature: RwSignal::new("0.7".to_string()),
            top_p: RwSignal::new("1".to_string()),
            max_tokens: RwSignal::new("256".to_string()),
            stop: RwSignal::new(String::new()),
            compare: RwSignal::new(false),
        }
    }

    /// The request for `turns` with these settings, or what is wrong with them.
    fn request(&self, turns: &[Message]) -> Result<GenerationRequest, String> {
        request(
            &self.system.get_untracked(),
            turns,
            &self.temperature.get_untracked(),
            &self.top_p.get_untracked(),
            &self.max_tokens.get_untracked(),
            &self.stop.get_untracked(),
        )
    }
}

/// Streams one side's answer into `side`: the fine-tuned model's (`adapter`),
/// whose reply then continues the conversation, or the base model's.
fn stream_answer(
    streams: Streams,
    model: Uuid,
    request: &GenerationRequest,
    side: RwSignal<Answer>,
    adapter: bool,
    history: RwSignal<Vec<Message>>,
) {
    side.set(Answer {
        running: true,
        status: "Sending…".into(),
        ..Answer::default()
    });
    let request = GenerationRequest {
        adapter,
        ..request.clone()
    };
    let on_end = move |end: Result<(), String>| {
        side.update(|a| {
            if let Err(e) = end {
                a.status = e;
            }
            a.running = false;
        });
        if adapter {
            let reply = side.get_untracked().text;
            history.update(|h| h.push(Message::new(Role::Assistant, reply)));
        }
    };
    let sent = streams.start(
        model,
        &request,
        move |e| side.update(|a| a.apply(e)),
        on_end,
    );
    if let Err(e) = sent {
        side.update(|a| {
            a.status = e;
            a.running = false;
        });
    }
}

#[component]
pub fn Playground(
    id: Uuid,
    /// The dataset's system prompt (from its held-out conversations).
    system: Option<String>,
) -> impl IntoView {
    let settings = Settings::new(system);
    let history = RwSignal::new(Vec::<Message>::new());
    let input = RwSignal::new(String::new());
    let tuned = RwSignal::new(Answer::default());
    let base = RwSignal::new(Answer::default());
    let error = RwSignal::new(None::<String>);
    let streams = Streams::for_page();
    let running = move || tuned.with(|a| a.running) || base.with(|a| a.running);

    let send = move |_| {
        let text = input.get_untracked();
        if text.trim().is_empty() || running() {
            return;
        }
        let mut turns = history.get_untracked();
        turns.push(Message::new(Role::User, text));
        let req = match settings.request(&turns) {
            Ok(r) => r,
            Err(e) => return error.set(Some(e)),
        };
        error.set(None);
        history.set(turns);
        input.set(String::new());
        stream_answer(streams, id, &req, tuned, true, history);
        if settings.compare.get_untracked() {
            stream_answer(streams, id, &req, base, false, history);
        } else {
            base.set(Answer::default());
        }
    };
    let clear = move |_| {
        history.set(vec![]);
        tuned.set(Answer::default());
        base.set(Answer::default());
    };

    view! {
        <Card title="Playground">
            <div class="playground" data-testid="playground">
                <div class="field">
                    <Label for_id="pg-system">"System prompt"</Label>
                    <Textarea id="pg-system" rows=2 value=settings.system/>
                </div>
                <ol class="chat-log" data-testid="playground-history">
                    {move || history.get().into_iter().map(|m| {
                        let who = if m.role == Role::User { "You" } else { "Model" };
                        view! { <li class=format!("chat-turn chat-{}", who.to_lowercase())><strong>{who}</strong><p>{m.content}</p></li> }
                    }).collect_view()}
                </ol>
                <div class=move || if settings.compare.get() { "two-column" } else { "" }>
                    <AnswerPane title="Fine-tuned" answer=tuned test_id="playground-answer" status_test_id="playground-status"/>
                    {move || settings.compare.get().then(|| view! {
                        <AnswerPane title="Base model" answer=base test_id="playground-base-answer" status_test_id="playground-base-status"/>
                    })}
                </div>
                <div class="field">
                    <Label for_id="pg-input">"Message"</Label>
                    <Textarea id="pg-input" value=input test_id="playground-input" placeholder="Ask what your users would ask…"/>
                </div>
                <SettingsRow settings/>
                {move || error.get().map(|e| view! { <p class="field-error" data-testid="playground-error">{e}</p> })}
                <div class="header-actions">
                    <Button variant="primary" on_click=Callback::new(send) disabled=Signal::derive(running) test_id="playground-send">"Send"</Button>
                    <Button variant="secondary" on_click=Callback::new(move |_| streams.stop_all()) disabled=Signal::derive(move || !running()) test_id="playground-stop">"Stop"</Button>
                    <Button variant="ghost" on_click=Callback::new(clear) test_id="playground-clear">"New conversation"</Button>
                </div>
            </div>
        </Card>
    }
}

/// One side's answer as it streams, with its status line.
#[component]
fn AnswerPane(
    title: &'static str,
    answer: RwSignal<Answer>,
    test_id: &'static str,
    status_test_id: &'static str,
) -> impl IntoView {
    view! {
        <div class="chat-answer">
            <h4>{title}</h4>
            <p class="chat-stream" data-testid=test_id>{move || answer.with(|a| a.text.clone())}</p>
            <p class="muted" data-testid=status_test_id>{move || answer.with(|a| a.status.clone())}</p>
        </div>
    }
}

#[component]
fn SettingsRow(settings: Settings) -> impl IntoView {
    let compare = settings.compare;
    view! {
        <div class="form-row playground-settings">
            <div class="field"><Label for_id="pg-temperature">"Temperature"</Label><Input id="pg-temperature" name="temperature" value=settings.temperature/></div>
            <div class="field"><Label for_id="pg-top-p">"Top-p"</Label><Input id="pg-top-p" name="top_p" value=settings.top_p/></div>
            <div class="field"><Label for_id="pg-max">"Max tokens"</Label><Input id="pg-max" name="max_tokens" value=settings.max_tokens/></div>
            <div class="field"><Label for_id="pg-stop">"Stop at"</Label><Input id="pg-stop" name="stop" value=settings.stop placeholder="optional"/></div>
            <label class="checkbox"><input type="checkbox" data-testid="playground-compare"
                prop:checked=move || compare.get() on:change=move |ev| compare.set(event_target_checked(&ev))/>" Compare with the base model"</label>
        </div>
    }
}

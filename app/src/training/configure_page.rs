//! `/training/configure`: pick a ready dataset, a base model, a preset or
//! advanced values and a GPU; the estimate (duration, cost, fit) updates as
//! anything changes, debounced; start the job and go to its monitor.
//! Every range check is the domain's one table, the same the API and the
//! trainer apply.

use super::api::{create_job, estimate_job, training_options};
use crate::ui::format::{duration, money, thousands};
use crate::ui::{Button, Card, EmptyState, ErrorDisplay, FieldError, Input, Label, Skeleton};
use brightrun::cluster::BaseDtype;
use brightrun::jobs::{ConfigureOptions, EstimateRequest, NewJob};
use brightrun::models::ModelDetail;
use brightrun::training::{
    Estimate, FieldRange, KeepAdapter, PRESETS, Preset, RANGES, Scheduler, TARGET_MODULES,
    Throughput, TrainingConfig,
};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use std::time::Duration;
use uuid::Uuid;

/// Changes closer together than this make one estimate request.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// An auto/on/off select's value for a setting (gradient checkpointing,
/// packing), and back.
fn auto_choice(setting: Option<bool>) -> &'static str {
    match setting {
        None => "auto",
        Some(true) => "on",
        Some(false) => "off",
    }
}

fn auto_setting(choice: &str) -> Option<bool> {
    match choice {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

/// A select for an optional switch of the config: auto (`None`), on or off.
#[component]
fn AutoOnOff(
    id: &'static str,
    test_id: &'static str,
    label: &'static str,
    auto_label: &'static str,
    help: &'static str,
    config: RwSignal<TrainingConfig>,
    get: fn(&TrainingConfig) -> Option<bool>,
    set: fn(&mut TrainingConfig, Option<bool>),
) -> impl IntoView {
    view! {
        <div class="field">
            <Label for_id=id>{label}</Label>
            <select id=id class="input" data-testid=test_id
                prop:value=move || config.with(|c| auto_choice(get(c)))
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    config.update(|c| set(c, auto_setting(&v)));
                }>
                <option value="auto">{auto_label}</option>
                <option value="on">"On"</option>
                <option value="off">"Off"</option>
            </select>
            <p class="muted small">{help}</p>
        </div>
    }
}

fn text_of(config: &TrainingConfig, field: &str) -> String {
    config
        .value(field)
        .map(|v| format!("{v}"))
        .unwrap_or_default()
}

#[component]
pub fn ConfigurePage() -> impl IntoView {
    let query = use_query_map();
    let parent_id = query
        .read_untracked()
        .get("parentModelId")
        .and_then(|p| Uuid::parse_str(&p).ok());
    let options = Resource::new(|| (), |_| training_options());
    let parent = Resource::new(
        move || parent_id,
        |id| async move {
            match id {
                Some(id) => crate::models::api::get_model(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <leptos_meta::Title text="Configure · BrightRun"/>
        <header class="page-header">
            <div>
                <h1>"Configure a run"</h1>
                <p class="muted">"Pick a dataset, a preset and where to train; the estimate follows every change."</p>
            </div>
        </header>
        <Suspense fallback=|| view! { <Skeleton lines=8/> }>
            {move || Suspend::new(async move {
                match options.await {
                    Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Ok(o) if o.datasets.is_empty() => view! {
                        <EmptyState icon="⚙" title="No ready dataset to train on"
                            message="A run starts from a validated dataset. Upload one first; presets, GPU choice and the cost estimate appear here once it is ready."
                            action_href="/datasets/new" action_label="Upload a dataset"/>
                    }.into_any(),
                    Ok(o) => match parent.await {
                        Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                        Ok(parent) => view! { <ConfigureForm options=o parent/> }.into_any(),
                    },
                }
            })}
        </Suspense>
    }
}

#[component]
fn ConfigureForm(options: ConfigureOptions, parent: Option<ModelDetail>) -> impl IntoView {
    let query = use_query_map();
    let wanted = query.read_untracked().get("datasetId");
    let dataset = RwSignal::new(
        wanted
            .filter(|w| options.datasets.iter().any(|d| d.id.to_string() == *w))
            .unwrap_or_else(|| options.datasets[0].id.to_string()),
    );
    let model = RwSignal::new(match &parent {
        Some(p) => p.model.base_model.clone(),
        None => options
            .models
            .first()
            .map(|m| m.id.clone())
            .unwrap_or_default(),
    });
    let parent_model_id = parent.as_ref().map(|p| p.model.id);
    // "": hold out the validation split of the training file.
    let validation = RwSignal::new(String::new());
    let validation_id = move || Uuid::parse_str(&validation.get()).ok();
    let gpu = RwSignal::new(
        options
            .gpus
            .first()
            .map(|g| g.id.clone())
            .unwrap_or_default(),
    );
    let gpu_count = RwSignal::new(1u32);
    // A continued run starts from the parent's settings: its rank and target
    // modules must stay, the rest may change.
    let config = RwSignal::new(
        parent
            .as_ref()
            .map(|p| p.job.config.clone())
            .unwrap_or_else(|| Preset::Balanced.config()),
    );
    let name = RwSignal::new(String::new());
    let texts: Vec<(&'static FieldRange, RwSignal<String>, RwSignal<bool>)> = RANGES
        .iter()
        .map(|r| {
            (
                r,
                RwSignal::new(text_of(&config.get_untracked(), r.field)),
                RwSignal::new(false),
            )
        })
        .collect();
    let texts = StoredValue::new(texts);
    let preset = Memo::new(move |_| config.with(Preset::matching));
    let apply_preset = move |p: Preset| {
        config.update(|c| p.apply(c));
        let c = config.get_untracked();
        texts.with_value(|t| {
            for (r, text, bad) in t {
                text.set(text_of(&c, r.field));
                bad.set(false);
            }
        });
    };

    // The estimate: the request as it stands, sent once changes settle.
    let request = Memo::new(move |_| {
        let c = config.get();
        if !c.check().is_empty() || texts.with_value(|t| t.iter().any(|(_, _, bad)| bad.get())) {
            return None;
        }
        Some(EstimateRequest {
            dataset_id: Uuid::parse_str(&dataset.get()).ok()?,
            validation_dataset_id: validation_id(),
            base_model: model.get(),
            config: c,
            gpu_type: gpu.get(),
            gpu_count: gpu_count.get(),
        })
    });
    let settled = RwSignal::new(None::<EstimateRequest>);
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let r = request.get();
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        // The page may be gone (Start navigates away) when the timer fires.
        set_timeout(
            move || {
                if generation.try_get_value() == Some(mine) {
                    settled.try_set(r);
                }
            },
            DEBOUNCE,
        );
    });
    let estimate = Resource::new(
        move || settled.get(),
        |r| async move {
            match r {
                Some(r) => Some(estimate_job(r).await),
                None => None,
            }
        },
    );

    let error = RwSignal::new(None::<String>);
    let over_budget = RwSignal::new(None::<String>);
    let budget_override = RwSignal::new(false);
    let field_errors = RwSignal::new(None::<crate::AppError>);
    let starting = RwSignal::new(false);
    let navigate = use_navigate();
    let start = move |_| {
        let Some(dataset_id) = Uuid::parse_str(&dataset.get_untracked()).ok() else {
            return;
        };
        error.set(None);
        field_errors.set(None);
        starting.set(true);
        let job = NewJob {
            name: Some(name.get_untracked()).filter(|n| !n.trim().is_empty()),
            dataset_id,
            base_model: model.get_untracked(),
            preset: Preset::Custom,
            config: Some(config.get_untracked()),
            gpu_type: gpu.get_untracked(),
            gpu_count: gpu_count.get_untracked(),
            budget_override: budget_override.get_untracked(),
            parent_model_id,
            validation_dataset_id: Uuid::parse_str(&validation.get_untracked()).ok(),
        };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match create_job(job).await {
                Ok(created) => navigate(
                    &format!("/training/jobs/{}", created.id),
                    Default::default(),
                ),
                Err(crate::AppError::OverBudget(message)) => {
                    starting.set(false);
                    over_budget.set(Some(message));
                }
                Err(e) => {
                    starting.set(false);
                    if e.is_general() {
                        error.set(Some(e.to_string()));
                    } else {
                        field_errors.set(Some(e));
                    }
                }
            }
        });
    };
    let server_error = move |field: &'static str| {
        Signal::derive(move || field_errors.with(|e| e.as_ref().and_then(|e| e.for_field(field))))
    };
    let continuing = parent.is_some();
    let parent_banner = parent.as_ref().map(|p| {
        view! {
            <div class="alert alert-info" data-testid="parent-banner">
                "Continuing "<a href=format!("/models/{}", p.model.id)>{p.model.name.clone()}</a>
                {format!(": LoRA starts from its weights on {}, keeping rank {} and targets {}.", p.model.base_model, p.job.config.lora_r, p.job.config.target_modules.join(", "))}
            </div>
        }
    });
    let max_gpus = options.max_gpu_count;
    let datasets = options.datasets.clone();
    let validation_choices = StoredValue::new(options.datasets.clone());
    let models = options.models.clone();
    let gpus = options.gpus.clone();

    view! {
        <div class="configure-layout">
            <div class="configure-form">
                {parent_banner}
                <Card title="Data and model">
                    <div class="field">
                        <Label for_id="dataset">"Dataset"</Label>
                        <select id="dataset" class="input" data-testid="dataset-select" prop:value=move || dataset.get()
                            on:change=move |ev| dataset.set(event_target_value(&ev))>
                            {datasets.into_iter().map(|d| view! {
                                <option value=d.id.to_string()>{format!("{} · {} examples · {} tokens", d.name, d.trainable_examples, thousands(d.total_tokens as i64))}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <Label for_id="validation-dataset">"Validation data"</Label>
                        <select id="validation-dataset" class="input" data-testid="validation-select" prop:value=move || validation.get()
                            on:change=move |ev| validation.set(event_target_value(&ev))>
                            <option value="">"A share of the training file (the validation split)"</option>
                            {move || validation_choices.with_value(|all| all.iter()
                                .filter(|d| d.id.to_string() != dataset.get())
                                .map(|d| view! { <option value=d.id.to_string()>{format!("{} · {} examples", d.name, d.trainable_examples)}</option> })
                                .collect_view())}
                        </select>
                        <p class="muted small">"A file of your own measures the validation loss and answers the sample prompts; all of the training file then trains."</p>
                        <FieldError message=server_error("validation_dataset_id")/>
                    </div>
                    <div class="field">
                        <Label for_id="base-model">"Base model"</Label>
                        <select id="base-model" class="input" disabled=continuing prop:value=move || model.get()
                            on:change=move |ev| model.set(event_target_value(&ev))>
                            {models.into_iter().map(|m| view! { <option value=m.id.clone()>{m.label.clone()}</option> }).collect_view()}
                        </select>
                        <FieldError message=server_error("base_model")/>
                    </div>
                    <div class="field">
                        <Label for_id="job-name">"Name (optional)"</Label>
                        <Input id="job-name" name="name" value=name placeholder="e.g. EQ-12 balanced, first try"/>
                        <FieldError message=server_error("name")/>
                    </div>
                </Card>
                <Card title="Preset">
                    <div class="preset-grid" role="radiogroup" aria-label="Preset">
                        {PRESETS.iter().map(|row| {
                            let p = row.preset;
                            view! {
                                <button type="button" role="radio" class="preset-card"
                                    class:selected=move || preset.get() == p
                                    aria-checked=move || (preset.get() == p).to_string()
                                    data-testid=format!("preset-{}", p.as_str())
                                    on:click=move |_| apply_preset(p)>
                                    <strong>{row.label}</strong>
                                    <span class="muted small">{row.summary}</span>
                                    <span class="small">{format!("lr {:e} · batch {} · {} epochs · r {} · alpha {} · dropout {}", row.learning_rate, row.batch_size, row.epochs, row.lora_r, row.lora_alpha, row.lora_dropout)}</span>
                                </button>
                            }
                        }).collect_view()}
                        <div class="preset-card preset-custom" class:selected=move || preset.get() == Preset::Custom
                            aria-checked=move || (preset.get() == Preset::Custom).to_string() role="radio" data-testid="preset-custom">
                            <strong>"Custom"</strong>
                            <span class="muted small">"Your own values from the advanced panel."</span>
                        </div>
                    </div>
                    <p class="muted small">"Every preset uses a cosine schedule with 3 % warmup."</p>
                </Card>
                <details class="card advanced" data-testid="advanced">
                    <summary>"Advanced settings"</summary>
                    <div class="advanced-grid">
                        {texts.get_value().into_iter().map(|(r, text, bad)| {
                            let field = r.field;
                            let id = format!("field-{field}");
                            let message = Signal::derive(move || {
                                if bad.get() {
                                    Some(format!("Enter a number for {}.", r.label.to_lowercase()))
                                } else {
                                    config.with(|c| c.error_of(field))
                                        .or_else(|| field_errors.with(|e| e.as_ref().and_then(|e| e.for_field(field))))
                                }
                            });
                            view! {
                                <div class="field">
                                    <Label for_id=id.clone()>{r.label}</Label>
                                    <input class="input" id=id type="number" name=field
                                        min=r.min.to_string() max=r.max.to_string() step=r.step.to_string()
                                        title=r.help
                                        prop:value=move || text.get()
                                        on:input=move |ev| {
                                            let v = event_target_value(&ev);
                                            text.set(v.clone());
                                            let mut ok = false;
                                            config.update(|c| ok = c.set(field, &v));
                                            bad.set(!ok);
                                        }/>
                                    <p class="muted small">{r.help}</p>
                                    <FieldError message=message/>
                                </div>
                            }
                        }).collect_view()}
                        <div class="field">
                            <Label for_id="field-scheduler">"Scheduler"</Label>
                            <select id="field-scheduler" class="input" prop:value=move || config.with(|c| c.scheduler.as_str())
                                on:change=move |ev| {
                                    if let Some(s) = Scheduler::parse(&event_target_value(&ev)) {
                                        config.update(|c| c.scheduler = s);
                                    }
                                }>
                                {Scheduler::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <Label for_id="field-keep-adapter">"Adapter to keep"</Label>
                            <select id="field-keep-adapter" class="input" data-testid="keep-adapter-select"
                                prop:value=move || config.with(|c| c.keep_adapter.as_str())
                                on:change=move |ev| {
                                    if let Some(k) = KeepAdapter::parse(&event_target_value(&ev)) {
                                        config.update(|c| c.keep_adapter = k);
                                    }
                                }>
                                {KeepAdapter::ALL.iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                            </select>
                            <p class="muted small">"The best: the weights of the evaluation with the lowest validation loss (the last step's when there is no validation split)."</p>
                        </div>
                        <div class="field">
                            <Label for_id="field-dtype">"Base weights precision"</Label>
                            <select id="field-dtype" class="input" data-testid="dtype-select"
                                prop:value=move || config.with(|c| c.dtype.map_or("", BaseDtype::as_str))
                                on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    config.update(|c| c.dtype = v.parse().ok());
                                }>
                                <option value="">"Default for the device"</option>
                                {BaseDtype::ALL.iter().map(|d| view! { <option value=d.as_str()>{d.as_str()}</option> }).collect_view()}
                            </select>
                            <p class="muted small">"The default is bf16 on a GPU that has it, f16 on older cards such as the T4, and f32 on the CPU. The adapter always trains in f32."</p>
                        </div>
                        <AutoOnOff id="field-gradient-checkpointing" test_id="checkpointing-select" label="Gradient checkpointing"
                            auto_label="Auto (on from 1B parameters)" config
                            get=|c| c.gradient_checkpointing set=|c, v| c.gradient_checkpointing = v
                            help="Keeps only each layer's input and recomputes the rest while going backward: less memory for some more time per step."/>
                        <AutoOnOff id="field-packing" test_id="packing-select" label="Packing"
                            auto_label="Auto (on from batch size 2)" config
                            get=|c| c.packing set=|c, v| c.packing = v
                            help="Puts several examples in one row up to the max length, each seeing only itself, instead of padding every example to the longest: fewer wasted tokens per step, the same loss."/>
                        <fieldset class="field modules">
                            <legend class="label">"Target modules"</legend>
                            {TARGET_MODULES.iter().map(|m| {
                                let m = *m;
                                view! {
                                    <label class="check">
                                        <input type="checkbox" prop:checked=move || config.with(|c| c.target_modules.iter().any(|t| t == m))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                config.update(|c| {
                                                    c.target_modules.retain(|t| t != m);
                                                    if on {
                                                        c.target_modules.push(m.to_string());
                                                        c.target_modules.sort_by_key(|t| TARGET_MODULES.iter().position(|x| x == t));
                                                    }
                                                });
                                            }/>
                                        {m}
                                    </label>
                                }
                            }).collect_view()}
                            <FieldError message=Signal::derive(move || config.with(|c| c.error_of("target_modules")))/>
                        </fieldset>
                    </div>
                </details>
                <Card title="Where to train">
                    <div class="field">
                        <Label for_id="gpu-type">"GPU"</Label>
                        <select id="gpu-type" class="input" prop:value=move || gpu.get()
                            on:change=move |ev| gpu.set(event_target_value(&ev))>
                            {gpus.into_iter().map(|g| {
                                let label = if g.id == brightrun::training::CPU_GPU {
                                    format!("{} · {}/h", g.name, money(g.price_per_hour))
                                } else {
                                    format!("{} · {} GB · {}/h", g.name, g.vram_gb, money(g.price_per_hour))
                                };
                                view! { <option value=g.id.clone()>{label}</option> }
                            }).collect_view()}
                        </select>
                        <FieldError message=server_error("gpu_type")/>
                    </div>
                    {(max_gpus > 1).then(|| view! {
                        <div class="field">
                            <Label for_id="gpu-count">"GPU count"</Label>
                            <input id="gpu-count" class="input" type="number" min="1" max=max_gpus.to_string()
                                prop:value=move || gpu_count.get().to_string()
                                on:input=move |ev| {
                                    if let Ok(n) = event_target_value(&ev).parse::<u32>() {
                                        gpu_count.set(n.clamp(1, max_gpus));
                                    }
                                }/>
                        </div>
                    })}
                </Card>
            </div>
            <aside class="configure-estimate">
                <Card title="Estimate">
                    <Transition fallback=|| view! { <Skeleton lines=4/> }>
                        {move || Suspend::new(async move {
                            match estimate.await {
                                None => view! { <p class="muted" data-testid="estimate-pending">"Fix the highlighted fields to see the estimate."</p> }.into_any(),
                                Some(Err(e)) => view! { <ErrorDisplay error=e/> }.into_any(),
                                Some(Ok(e)) => view! { <EstimateView estimate=e/> }.into_any(),
                            }
                        })}
                    </Transition>
                    {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    {move || over_budget.get().map(|m| view! {
                        <div class="alert alert-warning" role="alert" data-testid="over-budget">
                            <p>{m}</p>
                            <label class="checkbox">
                                <input type="checkbox" data-testid="budget-override" prop:checked=move || budget_override.get()
                                    on:change=move |ev| budget_override.set(event_target_checked(&ev))/>
                                " Start anyway: go over the budget for this run (recorded on the job)"
                            </label>
                        </div>
                    })}
                    <Button class="start-button" test_id="start-job" disabled=Signal::derive(move || starting.get() || request.get().is_none())
                        on_click=Callback::new(start)>
                        {move || if starting.get() { "Starting…" } else { "Start training" }}
                    </Button>
                </Card>
            </aside>
        </div>
    }
}

#[component]
fn EstimateView(estimate: Estimate) -> impl IntoView {
    let e = estimate;
    let source = match e.throughput {
        Throughput::Calibrated { jobs } => {
            format!("measured on your {jobs} finished job(s) with this GPU and model")
        }
        Throughput::Baseline => {
            "from the GPU catalog's baseline, scaled to the model's size".to_string()
        }
    };
    view! {
        <dl class="estimate" data-testid="estimate">
            <dt>"Duration"</dt><dd data-testid="estimate-duration">{duration(e.duration_s)}</dd>
            <dt>"Cost"</dt><dd data-testid="estimate-cost">{money(e.cost)}</dd>
            <dt>"Steps"</dt><dd data-testid="estimate-steps">{thousands(e.total_steps as i64)}</dd>
            <dt>"Training tokens"</dt><dd>{thousands(e.total_tokens as i64)}</dd>
            <dt>"Learned from"</dt><dd data-testid="estimate-trained">{format!("{} tokens", thousands(e.trained_tokens as i64))}</dd>
            <dt>"Validation"</dt><dd data-testid="estimate-validation">{match e.evaluations {
                0 => "none".to_string(),
                n => format!("{n} passes × {} tokens · {}", thousands(e.validation_tokens as i64), duration(e.eval_s)),
            }}</dd>
            <dt>"Throughput"</dt><dd>{format!("{} tokens/s", thousands(e.tokens_per_second.round() as i64))}</dd>
        </dl>
        <p class="muted small">{format!("Throughput {source}; {} startup included; {} examples train.", duration(e.startup_s), e.training_examples)}</p>
        {e.fit.warning.clone().map(|w| view! { <p class="alert alert-warning" role="alert" data-testid="fit-warning">{w}</p> })}
    }
}

//! `/models/{id}`: the training summary (dataset, config, duration, tokens,
//! cost), final metrics and loss curves, the quality panel (how the rating
//! was reached), downloads, the version chain, edit and delete, and
//! "Continue training".

use super::api::{delete_model, get_model};
use super::before_after::BeforeAfter;
use super::download_panel::DownloadPanel;
use super::edit_form::EditForm;
use super::playground::Playground;
use super::stars::Stars;
use super::versions::VersionHistory;
use crate::datasets::status_badge::megabytes;
use crate::jobs::loss_chart::LossChart;
use crate::ui::format::{duration, epochs, loss, money, thousands};
use crate::ui::{Button, Card, EmptyState, ErrorDisplay, Skeleton, StatsCard};
use brightrun::models::ModelDetail;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

#[component]
pub fn ModelPage() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let id = crate::ui::use_id_param();
    let model = Resource::new(
        move || (id(), changed.get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_model(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <Skeleton lines=6/> }>
            {move || Suspend::new(async move {
                match model.await {
                    Err(crate::AppError::NotFound(_)) | Ok(None) => view! {
                        <EmptyState title="Model not found" message="It may have been deleted." action_href="/models" action_label="All models"/>
                    }.into_any(),
                    Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Ok(Some(d)) => view! { <ModelView detail=d changed/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ModelView(detail: ModelDetail, changed: RwSignal<u32>) -> impl IntoView {
    let ModelDetail {
        model: m,
        job,
        adapter,
        lineage,
        children,
    } = detail;
    let id = m.id;
    let editing = RwSignal::new(false);
    let confirm_delete = RwSignal::new(false);
    let navigate = use_navigate();
    let delete = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            if delete_model(id).await.is_ok() {
                navigate("/models", Default::default());
            }
        });
    };
    let q = m.quality.clone();
    let j = job.job.clone();
    let config = job.config.clone();
    let took = match (j.started_at, j.finished_at) {
        (Some(a), Some(b)) => duration((b - a).num_milliseconds() as f64 / 1000.0),
        _ => "–".into(),
    };
    // What the run did, not what was asked: max steps may have cut it short.
    let epochs_run = match job.epochs_run() {
        Some(e) => format!("{} ({} steps)", epochs(e), j.current_step),
        None => "–".into(),
    };
    let last = job.metrics.last().cloned();
    let tokens = job
        .estimate
        .as_ref()
        .map(|e| thousands(e.total_tokens as i64))
        .unwrap_or_else(|| "–".into());
    let continue_href = format!(
        "/training/configure?datasetId={}&parentModelId={}",
        m.dataset_id, m.id
    );
    view! {
        <leptos_meta::Title text=format!("{} · BrightRun", m.name)/>
        <header class="page-header">
            <div>
                <h1 data-testid="model-name">{m.name.clone()}</h1>
                <p class="muted">
                    <Stars rating=m.rating/>
                    {format!(" LoRA adapter on {} · {} · ", m.base_model, megabytes(m.size_bytes))}
                    <a href=format!("/datasets/{}", m.dataset_id)>{m.dataset_name.clone()}</a>
                    " · "
                    <a href=format!("/training/jobs/{}", m.job_id) data-testid="model-job-link">"training job"</a>
                </p>
                {m.description.clone().map(|d| view! { <p class="model-description" data-testid="model-description">{d}</p> })}
            </div>
            <div class="header-actions">
                <a class="btn btn-primary btn-md" href=continue_href data-testid="continue-training">"Continue training"</a>
                <Button variant="secondary" on_click=Callback::new(move |_| editing.update(|e| *e = !*e)) test_id="edit-model">"Edit"</Button>
                <Button variant="danger" on_click=Callback::new(move |_| confirm_delete.set(true)) test_id="delete-model">"Delete"</Button>
            </div>
        </header>
        {move || confirm_delete.get().then(|| {
            let delete = delete.clone();
            view! {
                <div class="alert alert-error" data-testid="confirm-delete">
                    <p>"Delete this model? It leaves your lists now and its files are removed from storage within the hour. Models continued from it keep their own weights."</p>
                    <Button variant="danger" size="sm" on_click=Callback::new(delete) test_id="confirm-delete-model">"Delete model"</Button>
                    " "
                    <Button variant="ghost" size="sm" on_click=Callback::new(move |_| confirm_delete.set(false))>"Keep it"</Button>
                </div>
            }
        })}
        {move || editing.get().then(|| view! {
            <EditForm id name=m.name.clone() description=m.description.clone().unwrap_or_default()
                on_saved=Callback::new(move |_| { editing.set(false); changed.update(|c| *c += 1); })/>
        })}
        <div class="stats-grid" data-testid="model-summary">
            <StatsCard label="Duration" value=took/>
            <StatsCard label="Tokens trained" value=tokens/>
            <StatsCard label="Cost" value=money(j.cost_so_far) detail=format!("{} × {}", j.gpu_count, j.gpu_type)/>
            <StatsCard label="Final training loss" value=loss(last.as_ref().and_then(|p| p.train_loss)) detail=format!("step {}", last.as_ref().map(|p| p.step).unwrap_or(0))/>
            <StatsCard label="Final validation loss" value=loss(job.eval_points.last().and_then(|p| p.eval_loss))/>
        </div>
        <div class="two-column">
            <Card title="Loss">
                <LossChart train=job.metrics.clone() eval=job.eval_points.clone() total_steps=j.total_steps/>
            </Card>
            <Card title="Configuration">
                <dl class="facts" data-testid="model-config">
                    <dt>"Preset"</dt><dd>{j.preset.label()}</dd>
                    <dt>"LoRA"</dt><dd>{format!("r {} · alpha {} · dropout {}", config.lora_r, config.lora_alpha, config.lora_dropout)}</dd>
                    <dt>"Targets"</dt><dd>{config.target_modules.join(", ")}</dd>
                    <dt>"Learning rate"</dt><dd>{format!("{:.1e} · {:?}", config.learning_rate, config.scheduler)}</dd>
                    <dt>"Batch"</dt><dd>{format!("{} × {} accumulation", config.batch_size, config.gradient_accumulation)}</dd>
                    <dt>"Epochs"</dt><dd data-testid="model-epochs">{epochs_run}</dd>
                    <dt>"Max length"</dt><dd>{config.max_seq_len}</dd>
                    <dt>"Validation"</dt><dd data-testid="model-validation">{match j.validation_dataset_id {
                        Some(v) => view! { <a href=format!("/datasets/{v}")>"a separate file"</a> }.into_any(),
                        None => format!("{:.0} % of the training file", config.validation_split * 100.0).into_any(),
                    }}</dd>
                    <dt>"Packing"</dt><dd>{if brightrun::cluster::packing_on(config.packing, config.batch_size as usize) { "on" } else { "off" }}</dd>
                    <dt>"Early stopping"</dt><dd>{match config.early_stopping_patience {
                        0 => "off".to_string(),
                        p => format!("after {p} evaluations without improvement"),
                    }}</dd>
                    <dt>"Adapter"</dt><dd data-testid="model-adapter-step">{format!("step {} · {}", adapter.step, adapter.choice.label().to_lowercase())}</dd>
                </dl>
                <p class="muted small" data-testid="model-adapter-why">{adapter.why.clone()}</p>
            </Card>
        </div>
        {match q {
            Some(q) => view! {
                <div class="stats-grid" data-testid="model-quality">
                    <StatsCard label="Loss reduction" value=format!("{:.1} %", q.loss_reduction_pct) detail=format!("{:.3} → {:.3}", q.initial_loss, q.final_train_loss)/>
                    <StatsCard label="Perplexity" value=format!("{:.2}", q.perplexity) detail=q.final_val_loss.map(|v| format!("validation loss {v:.3}")).unwrap_or_else(|| "from training loss".into())/>
                    <StatsCard label="Overfitting" value=if q.overfit { "yes" } else { "no" } detail="validation more than 0.5 above training"/>
                </div>
                <Card title="How the rating was reached">
                    <ul>{q.reasons.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view()}</ul>
                </Card>
            }.into_any(),
            None => view! { <p class="muted">"No quality metrics: the run recorded no loss."</p> }.into_any(),
        }}
        <BeforeAfter samples=job.samples.clone()/>
        <Playground id system=job.samples.system_prompt().map(str::to_string)/>
        <div class="two-column">
            <DownloadPanel id/>
            <VersionHistory current=id lineage children/>
        </div>
    }
}

//! `/training/configure`: pick a ready dataset, a base model, a preset or
//! advanced values and a GPU; the estimate (duration, cost, fit) updates as
//! anything changes; start the job and go to its monitor. The page is
//! composed from the form's parts, which share one [`RunForm`]; starting
//! is the `create_job` server action, whose refusals show in place (under
//! a field, as the budget's override, or as the run's error).

use super::api::{CreateJob, training_options};
use super::cost_estimator::CostEstimator;
use super::data_and_model::DataAndModel;
use super::gpu_config_selector::GpuConfigSelector;
use super::hyperparameter_form::HyperparameterForm;
use super::preset_selector::PresetSelector;
use super::run_form::RunForm;
use crate::AppError;
use crate::ui::{ActionError, ActionErrors, Button, Card, EmptyState, ErrorDisplay, Skeleton};
use brightrun::jobs::ConfigureOptions;
use brightrun::models::ModelDetail;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use uuid::Uuid;

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
    let wanted = use_query_map().read_untracked().get("datasetId");
    let form = RunForm::new(&options, parent.as_ref(), wanted);
    let request = Memo::new(move |_| form.estimate_request());
    let create = ServerAction::<CreateJob>::new();
    let errors = create.last_error();
    let parent_model_id = parent.as_ref().map(|p| p.model.id);
    let ConfigureOptions {
        datasets,
        models,
        gpus,
        max_gpu_count,
        ..
    } = options;
    view! {
        <div class="configure-layout">
            <div class="configure-form">
                {parent.as_ref().map(|p| view! { <ParentBanner parent=p.clone()/> })}
                <DataAndModel form datasets models continuing=parent.is_some() server_errors=errors/>
                <PresetSelector form/>
                <HyperparameterForm form server_errors=errors/>
                <GpuConfigSelector form gpus max_gpus=max_gpu_count gpu_error=create.field_error("gpu_type")/>
            </div>
            <aside class="configure-estimate">
                <Card title="Estimate">
                    <CostEstimator request/>
                    <StartRun form create ready=Signal::derive(move || request.get().is_some()) parent_model_id/>
                </Card>
            </aside>
        </div>
    }
}

/// Names the model a continued run starts from and what it keeps.
#[component]
fn ParentBanner(parent: ModelDetail) -> impl IntoView {
    let p = parent;
    view! {
        <div class="alert alert-info" data-testid="parent-banner">
            "Continuing "<a href=format!("/models/{}", p.model.id)>{p.model.name.clone()}</a>
            {format!(": LoRA starts from its weights on {}, keeping rank {} and targets {}.", p.model.base_model, p.job.config.lora_r, p.job.config.target_modules.join(", "))}
        </div>
    }
}

/// Start, and what a refused start says: over the budget (with the
/// override), or the reason. A started job opens its monitor.
#[component]
fn StartRun(
    form: RunForm,
    create: ServerAction<CreateJob>,
    ready: Signal<bool>,
    parent_model_id: Option<Uuid>,
) -> impl IntoView {
    let budget_override = RwSignal::new(false);
    let errors = create.general_error();
    let over_budget = Signal::derive(move || match errors.get() {
        Some(AppError::OverBudget(message)) => Some(message),
        _ => None,
    });
    let refused = Signal::derive(move || {
        errors
            .get()
            .filter(|e| !matches!(e, AppError::OverBudget(_)))
    });
    let started = move || create.value().with(|v| matches!(v, Some(Ok(_))));
    let starting = Signal::derive(move || create.pending().get() || started());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(job)) = create.value().get() {
            navigate(&format!("/training/jobs/{}", job.id), Default::default());
        }
    });
    let start = move |_| {
        if let Some(job) = form.new_job(budget_override.get_untracked(), parent_model_id) {
            create.dispatch(CreateJob { job });
        }
    };
    view! {
        <ActionError error=refused title="Could not start the run."/>
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
        <Button class="start-button" test_id="start-job" disabled=Signal::derive(move || starting.get() || !ready.get())
            on_click=Callback::new(start)>
            {move || if starting.get() { "Starting…" } else { "Start training" }}
        </Button>
    }
}

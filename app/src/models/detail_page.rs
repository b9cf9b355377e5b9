//! `/models/{id}`: the training summary (dataset, config, duration, tokens,
//! cost), final metrics and loss curves, the quality panel (how the rating
//! was reached), downloads, exports (merged, GGUF), the version chain, edit
//! and delete, and "Continue training".

use super::api::get_model;
use super::before_after::BeforeAfter;
use super::download_panel::DownloadPanel;
use super::export_panel::ExportPanel;
use super::header::ModelHeader;
use super::playground::Playground;
use super::summary::{ModelConfig, ModelSummary, QualityPanel};
use super::versions::VersionHistory;
use crate::jobs::loss_chart::LossChart;
use crate::ui::{Card, EmptyState, ErrorDisplay, Skeleton};
use brightrun::models::ModelDetail;
use leptos::prelude::*;

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
        model,
        job,
        adapter,
        lineage,
        children,
        exports,
    } = detail;
    let id = model.id;
    let job_id = job.job.id;
    view! {
        <ModelHeader model=model.clone() changed/>
        <ModelSummary job=job.clone()/>
        <div class="two-column">
            <Card title="Loss">
                <LossChart job_id/>
            </Card>
            <ModelConfig job=job.clone() adapter/>
        </div>
        <QualityPanel quality=model.quality.clone()/>
        <BeforeAfter samples=job.samples.clone()/>
        <Playground id system=job.samples.system_prompt().map(str::to_string)/>
        <div class="two-column">
            <DownloadPanel id/>
            <VersionHistory current=id lineage children/>
        </div>
        <ExportPanel id exports/>
    }
}

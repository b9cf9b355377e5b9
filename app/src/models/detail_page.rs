//! `/models/{id}`: what was trained from what, and how well: the quality
//! panel (loss reduction, perplexity, overfit flag, how the rating was reached).

use super::api::get_model;
use super::stars::Stars;
use crate::datasets::status_badge::megabytes;
use crate::ui::{Card, EmptyState, ErrorDisplay, Skeleton, StatsCard};
use leptos::prelude::*;

#[component]
pub fn ModelPage() -> impl IntoView {
    let model = Resource::new(crate::ui::use_id_param(), |id| async move {
        match id {
            Some(id) => get_model(id).await.map(Some),
            None => Ok(None),
        }
    });
    view! {
        <Suspense fallback=|| view! { <Skeleton lines=6/> }>
            {move || Suspend::new(async move {
                match model.await {
                    Err(e) => view! { <ErrorDisplay error=e/> }.into_any(),
                    Ok(None) => view! { <EmptyState title="Model not found" message="It may have been deleted." action_href="/models" action_label="All models"/> }.into_any(),
                    Ok(Some(m)) => {
                        let q = m.quality.clone();
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
                                </div>
                            </header>
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
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

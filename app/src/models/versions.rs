//! The version history: the chain of models this one continues, oldest
//! first, and the models continued from it.

use super::stars::Stars;
use crate::ui::Card;
use brightrun::models::ModelVersion;
use leptos::prelude::*;
use uuid::Uuid;

#[component]
pub fn VersionHistory(
    current: Uuid,
    lineage: Vec<ModelVersion>,
    children: Vec<ModelVersion>,
) -> impl IntoView {
    let single = lineage.len() <= 1 && children.is_empty();
    view! {
        <Card title="Versions">
            {single.then(|| view! { <p class="muted small">"The first version. “Continue training” starts the next one from these weights."</p> })}
            <ol class="version-chain" data-testid="version-chain">
                {lineage.into_iter().enumerate().map(|(i, v)| {
                    let this = v.id == current;
                    view! {
                        <li class=if this { "current" } else { "" } data-testid="version" data-current=this.to_string()>
                            <span class="muted small">{format!("v{} ", i + 1)}</span>
                            {if this {
                                view! { <strong>{v.name.clone()}</strong> }.into_any()
                            } else {
                                view! { <a href=format!("/models/{}", v.id) data-testid="parent-link">{v.name.clone()}</a> }.into_any()
                            }}
                            " "<Stars rating=v.rating/>
                            <span class="muted small">{format!(" · {}", v.created_at.format("%Y-%m-%d"))}</span>
                        </li>
                    }
                }).collect_view()}
            </ol>
            {(!children.is_empty()).then(|| view! {
                <p class="small">"Continued as:"</p>
                <ul data-testid="version-children">
                    {children.into_iter().map(|v| view! {
                        <li><a href=format!("/models/{}", v.id)>{v.name.clone()}</a>" "<Stars rating=v.rating/></li>
                    }).collect_view()}
                </ul>
            })}
        </Card>
    }
}

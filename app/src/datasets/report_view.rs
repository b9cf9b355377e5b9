//! The validation report and the statistics, shared by the wizard (before
//! upload) and the dataset page (after the server's validation).

use super::histogram::TokenHistogram;
use crate::ui::{Badge, BadgeTone, StatsCard};
use brightrun::datasets::{ReportIssue, ValidationReport};
use leptos::prelude::*;

fn issue_rows(list: Vec<ReportIssue>) -> impl IntoView {
    list.into_iter()
        .map(|i| {
            view! {
                <tr>
                    <td class="nowrap"><code>{i.location()}</code></td>
                    <td>{i.field.clone().map(|f| view! { <code>{f}</code> })}</td>
                    <td>{i.message.clone()}<div class="muted small">{i.hint.clone()}</div></td>
                </tr>
            }
        })
        .collect_view()
}

#[component]
pub fn ReportView(report: ValidationReport) -> impl IntoView {
    let errors = report.errors.clone();
    let warnings = report.warnings.clone();
    let (error_total, warning_total) = (report.error_total(), report.warning_total());
    view! {
        <div class="report" data-testid="validation-report">
            <div class="report-summary">
                {if report.valid {
                    view! { <Badge tone=BadgeTone::Success>"valid"</Badge> }.into_any()
                } else {
                    view! { <Badge tone=BadgeTone::Danger>"invalid"</Badge> }.into_any()
                }}
                <span>{report.format.map(|f| f.label()).unwrap_or("format not recognised")}</span>
                <span class="muted" data-testid="report-counts">{format!("{error_total} errors, {warning_total} warnings")}</span>
            </div>
            {(!errors.is_empty()).then(|| view! {
                <h3>"Errors"</h3>
                <table class="table report-table" data-testid="report-errors">
                    <thead><tr><th>"Where"</th><th>"Field"</th><th>"Problem and fix"</th></tr></thead>
                    <tbody>{issue_rows(errors)}</tbody>
                </table>
                {(error_total > report.errors.len() as u64).then(|| view! {
                    <p class="muted">{format!("Showing the first {} of {error_total} errors.", report.errors.len())}</p>
                })}
            })}
            {(!warnings.is_empty()).then(|| view! {
                <details class="report-warnings">
                    <summary>{format!("{warning_total} warnings")}</summary>
                    <table class="table report-table">
                        <thead><tr><th>"Where"</th><th>"Field"</th><th>"Note"</th></tr></thead>
                        <tbody>{issue_rows(warnings)}</tbody>
                    </table>
                </details>
            })}
        </div>
    }
}

#[component]
pub fn StatsPanel(report: ValidationReport) -> impl IntoView {
    let s = report.stats.clone();
    let t = s.tokens.clone();
    let pairs_detail = match s.declared_pairs {
        Some(d) if d != s.pairs => format!("header says {d}"),
        _ => format!("{} context only", s.null_target_pairs),
    };
    let dist = |title: &'static str, map: std::collections::BTreeMap<String, u64>| {
        (!map.is_empty()).then(|| {
            view! {
                <div class="card dist">
                    <h4>{title}</h4>
                    <ul>{map.into_iter().map(|(k, v)| view! { <li><span>{k}</span><span class="muted">{v}</span></li> }).collect_view()}</ul>
                </div>
            }
        })
    };
    view! {
        <div class="stats-grid" data-testid="dataset-stats">
            <StatsCard label="Trainable examples" value=s.trainable_examples.to_string() detail=format!("of {} pairs", s.pairs)/>
            <StatsCard label="Conversations" value=s.conversations.to_string() detail=format!("{}–{} turns", s.turns_per_conversation_min, s.turns_per_conversation_max)/>
            <StatsCard label="Pairs" value=s.pairs.to_string() detail=pairs_detail/>
            <StatsCard label="Tokens" value=t.total.to_string() detail=format!("{} learned, of {} from the assistant", t.trained, t.assistant)/>
        </div>
        <div class="card">
            <h3 class="card-title">"Tokens per example"</h3>
            <p class="muted">{format!(
                "min {} · median {} · mean {} · p95 {} · max {} — {} over {} tokens. Counted with {}.",
                t.min, t.median, t.mean, t.p95, t.max, t.over_max_len, s.max_seq_len, s.tokenizer
            )}</p>
            <TokenHistogram bins=s.histogram.clone() max_seq_len=s.max_seq_len/>
        </div>
        <div class="card-grid">
            {dist("Personas", s.personas.clone())}
            {dist("Emotional arcs", s.arcs.clone())}
            {dist("Topics", s.topics.clone())}
        </div>
    }
}

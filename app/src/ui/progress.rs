use leptos::prelude::*;

/// A progress bar; `value` from 0.0 to 1.0.
#[component]
pub fn Progress(
    #[prop(into)] value: Signal<f64>,
    #[prop(optional, into)] label: Option<String>,
) -> impl IntoView {
    let pct = move || (value.get().clamp(0.0, 1.0) * 100.0).round();
    view! {
        <div class="progress" role="progressbar" aria-label=label aria-valuemin="0" aria-valuemax="100" aria-valuenow=move || pct().to_string()>
            <div class="progress-fill" style:width=move || format!("{}%", pct())></div>
        </div>
    }
}

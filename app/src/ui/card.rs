use leptos::prelude::*;

#[component]
pub fn Card(
    children: Children,
    #[prop(optional, into)] title: Option<String>,
    #[prop(optional, into)] class: Option<&'static str>,
) -> impl IntoView {
    view! {
        <section class=format!("card {}", class.unwrap_or(""))>
            {title.map(|t| view! { <h2 class="card-title">{t}</h2> })}
            {children()}
        </section>
    }
}

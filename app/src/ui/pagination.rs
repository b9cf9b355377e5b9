use leptos::prelude::*;

/// Under a paged list: "12 jobs · page 2 of 3" and links to the pages
/// before and after (`?page=N`).
#[component]
pub fn PageLinks(noun: &'static str, total: u64, page: u32, per_page: u32) -> impl IntoView {
    let pages = total.div_ceil(u64::from(per_page.max(1))).max(1) as u32;
    view! {
        <nav class="pagination" aria-label="Pages">
            <span class="muted">{format!("{total} {noun} · page {page} of {pages}")}</span>
            {(page > 1).then(|| view! { <a class="btn btn-secondary btn-sm" href=format!("?page={}", page - 1)>"Previous"</a> })}
            {(page < pages).then(|| view! { <a class="btn btn-secondary btn-sm" href=format!("?page={}", page + 1)>"Next"</a> })}
        </nav>
    }
}

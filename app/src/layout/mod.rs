//! The signed-in frame around every section: sidebar navigation, the header
//! with the notifications bell and the user menu. Signed-out visitors are
//! sent to `/signin` (the server redirects page loads before rendering; this
//! covers client-side navigation after a session ends). The 404 page lives
//! here too: it is the frame's answer for a path no section claims.

mod nav;
mod not_found;
mod user_menu;

use crate::accounts::current_user;
use crate::costs::BudgetBanner;
use crate::notifications::NotificationBell;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect};
pub use nav::{NAV_ITEMS, Nav};
pub use not_found::NotFoundPage;
use user_menu::UserMenu;

#[component]
pub fn DashboardLayout() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <div class="app-frame">
            <aside class="sidebar">
                <a class="brand" href="/"><span class="logo-mark">"◆"</span>" BrightRun"</a>
                <Nav/>
            </aside>
            <div class="main-column">
                <header class="topbar">
                    <div class="topbar-spacer"></div>
                    <NotificationBell/>
                    <Suspense fallback=|| view! { <span class="muted">"…"</span> }>
                        {move || Suspend::new(async move {
                            match user.await {
                                Ok(Some(profile)) => view! { <UserMenu email=profile.email/> }.into_any(),
                                Ok(None) => view! { <Redirect path="/signin"/> }.into_any(),
                                Err(_) => view! { <a href="/signin">"Sign in"</a> }.into_any(),
                            }
                        })}
                    </Suspense>
                </header>
                <main class="content">
                    <BudgetBanner/>
                    <Outlet/>
                </main>
            </div>
        </div>
    }
}

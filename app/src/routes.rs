//! The HTML shell and the route table: every section under the dashboard
//! layout, sign-in and sign-up outside it, a 404 for everything else.

use crate::accounts::{SettingsPage, SignInPage, SignUpPage};
use crate::base_models::BaseModelsPage;
use crate::costs::CostsPage;
use crate::dashboard::DashboardPage;
use crate::datasets::{DatasetPage, DatasetsPage, NewDatasetPage};
use crate::jobs::{JobPage, JobsPage};
use crate::layout::{DashboardLayout, NotFoundPage};
use crate::models::{ModelPage, ModelsPage};
use crate::notifications::NotificationsPage;
use crate::training::{ConfigurePage, TrainingPage};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // Named like the bundle: content-hashed once the site is prepared.
                <link id="leptos" rel="stylesheet" href=format!("/pkg/{}.css", options.output_name)/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let hydrated = RwSignal::new(false);
    // Effects run only in the browser: this marks the page as interactive,
    // which the browser tests wait for before they click.
    Effect::new(move |_| hydrated.set(true));
    view! {
        <Title text="BrightRun"/>
        <div id="app" data-hydrated=move || hydrated.get().then_some("true")>
        <Router>
            <ErrorBoundary fallback=|errors| view! {
                <main class="not-found">
                    <h1>"Something went wrong"</h1>
                    <ul>{move || errors.get().into_iter().map(|(_, e)| view! { <li>{e.to_string()}</li> }).collect_view()}</ul>
                    <a class="btn btn-primary btn-md" href="/">"Back to the dashboard"</a>
                </main>
            }>
                <Routes fallback=|| view! { <NotFoundPage/> }>
                    <Route path=path!("/signin") view=SignInPage/>
                    <Route path=path!("/signup") view=SignUpPage/>
                    <ParentRoute path=path!("") view=DashboardLayout>
                        <Route path=path!("") view=DashboardPage/>
                        <Route path=path!("datasets") view=DatasetsPage/>
                        <Route path=path!("datasets/new") view=NewDatasetPage/>
                        <Route path=path!("datasets/:id") view=DatasetPage/>
                        <Route path=path!("training") view=TrainingPage/>
                        <Route path=path!("training/jobs") view=JobsPage/>
                        // Pages with a resource inside a resolved one (the loss
                        // chart in the job or model) render whole before they
                        // are sent: streamed out of order, a slow server could
                        // send the chart's part first, and hydration failed on
                        // the mismatch (1 reload in 3 of a cancelled job, under load).
                        <Route path=path!("training/jobs/:id") view=JobPage ssr=SsrMode::Async/>
                        <Route path=path!("training/configure") view=ConfigurePage/>
                        <Route path=path!("base-models") view=BaseModelsPage/>
                        <Route path=path!("models") view=ModelsPage/>
                        <Route path=path!("models/:id") view=ModelPage ssr=SsrMode::Async/>
                        <Route path=path!("costs") view=CostsPage/>
                        <Route path=path!("notifications") view=NotificationsPage/>
                        <Route path=path!("settings") view=SettingsPage/>
                    </ParentRoute>
                </Routes>
            </ErrorBoundary>
        </Router>
        </div>
    }
}

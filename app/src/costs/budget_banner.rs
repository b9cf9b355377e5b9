//! The banner under the header once this month's spend reaches 80 % of the budget.

use super::api::month_costs;
use crate::ui::format::money;
use leptos::prelude::*;

#[component]
pub fn BudgetBanner() -> impl IntoView {
    let summary = Resource::new(|| (), |_| month_costs());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let budget = summary.await.ok().and_then(|s| s.budget);
                budget.filter(|b| b.alert.is_some()).map(|b| {
                    let level = b.alert.unwrap_or(80);
                    let class = if level >= 100 { "budget-banner over" } else { "budget-banner" };
                    view! {
                        <div class=class role="status" data-testid="budget-banner" data-level=level.to_string()>
                            {format!("You have used {:.0} % of your {} monthly budget ({} spent). ", b.percent, money(b.monthly_budget), money(b.spent))}
                            <a href="/costs">"See costs"</a>" · "<a href="/settings">"Change budget"</a>
                        </div>
                    }
                })
            })}
        </Transition>
    }
}

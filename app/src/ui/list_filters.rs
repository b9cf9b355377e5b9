//! A list page's filters and page number, kept in the URL's query so a
//! link or a reload shows the same list. Changing a filter goes back to
//! page 1 (the URL is built by `brightrun::url::with_filter`).

use brightrun::url::with_filter;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;

#[derive(Clone, Copy)]
pub struct ListFilters {
    query: Memo<ParamsMap>,
    navigate: Callback<(&'static str, String)>,
}

/// The filters `keys` of the list at `path`.
pub fn use_list_filters(path: &'static str, keys: &'static [&'static str]) -> ListFilters {
    let query = use_query_map();
    let navigate = use_navigate();
    let current = move |k: &str| query.read_untracked().get(k).filter(|v| !v.is_empty());
    let navigate = Callback::new(move |(key, value): (&'static str, String)| {
        navigate(
            &with_filter(path, keys, current, key, &value),
            Default::default(),
        );
    });
    ListFilters { query, navigate }
}

impl ListFilters {
    /// A filter's value (tracked); an empty one is no filter.
    pub fn get(&self, key: &str) -> Option<String> {
        self.query.read().get(key).filter(|v| !v.is_empty())
    }

    /// The page asked for, from 1.
    pub fn page(&self) -> u32 {
        self.get("page").and_then(|p| p.parse().ok()).unwrap_or(1)
    }

    /// A filter's value as a control shows it ("" for none).
    pub fn value(&self, key: &'static str) -> Signal<String> {
        let this = *self;
        Signal::derive(move || this.get(key).unwrap_or_default())
    }

    /// Sets a filter (an empty value removes it) and goes to page 1.
    pub fn set(&self, key: &'static str, value: String) {
        self.navigate.run((key, value));
    }

    /// [`ListFilters::set`] for one filter, for a control's `on_change`.
    pub fn setter(&self, key: &'static str) -> Callback<String> {
        let this = *self;
        Callback::new(move |value| this.set(key, value))
    }
}

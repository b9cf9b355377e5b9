use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

/// The page's `:id` as a UUID (`None` when it is not one), read reactively.
pub fn use_id_param() -> impl Fn() -> Option<Uuid> + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || {
        params
            .read()
            .get("id")
            .and_then(|s| Uuid::parse_str(&s).ok())
    }
}

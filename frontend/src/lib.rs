//! The hydrate entry point and nothing else.

// Leptos view types nest deeply; the default limit is too low for them.
#![recursion_limit = "512"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(brightrun_app::App);
}

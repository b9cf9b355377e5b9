//! The pages' timers, with `gloo-timers` in the browser (nothing runs on
//! the server): each belongs to the reactive owner that started it, so a
//! timer started in an effect is cancelled when the effect runs again or
//! the page is left, and never fires into a page that is gone.

#[cfg(feature = "hydrate")]
use leptos::prelude::on_cleanup;
use std::time::Duration;

/// Runs `f` once after `delay`, unless the current owner is cleaned up
/// first.
pub fn after(f: impl FnOnce() + 'static, delay: Duration) {
    #[cfg(feature = "hydrate")]
    {
        let timeout = gloo_timers::callback::Timeout::new(millis(delay), f);
        let timeout = send_wrapper::SendWrapper::new(timeout);
        on_cleanup(move || drop(timeout.take().cancel()));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (f, delay);
}

/// Runs `f` every `period` until the current owner is cleaned up.
pub fn every(f: impl FnMut() + 'static, period: Duration) {
    #[cfg(feature = "hydrate")]
    {
        let interval = gloo_timers::callback::Interval::new(millis(period), f);
        let interval = send_wrapper::SendWrapper::new(interval);
        on_cleanup(move || drop(interval.take().cancel()));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (f, period);
}

/// Waits `delay` (in the browser; at once on the server, where no page
/// polls).
pub async fn sleep(delay: Duration) {
    #[cfg(feature = "hydrate")]
    gloo_timers::future::TimeoutFuture::new(millis(delay)).await;
    #[cfg(not(feature = "hydrate"))]
    let _ = delay;
}

#[cfg(feature = "hydrate")]
fn millis(d: Duration) -> u32 {
    d.as_millis().min(u128::from(u32::MAX)) as u32
}

//! The upload wizard's browser side, fenced here: taking the chosen file
//! from the picker or a drop, reading it through the shared validator, and
//! sending it to the upload target with progress. The wizard's own code is
//! the same on the server and in the browser; only this module differs. In
//! the browser (`hydrate`) it is `web`; on the server, which renders the
//! wizard but never runs its handlers, it is `server`, whose handles have no
//! values — nothing there can run.
//!
//! Reading and sending stay outside server actions on purpose: the file
//! never goes through a server function (it is read in the browser and
//! sent straight to the signed URL), and XMLHttpRequest is what reports
//! upload progress.

#[cfg(not(feature = "hydrate"))]
mod server;
#[cfg(feature = "hydrate")]
mod web;

#[cfg(not(feature = "hydrate"))]
pub use server::{ChosenFile, Held, Upload, held};
#[cfg(feature = "hydrate")]
pub use web::{ChosenFile, Held, Upload, held};

/// How far an upload has got.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sent {
    pub loaded: f64,
    pub total: f64,
    /// Since the upload started.
    pub seconds: f64,
}

impl Sent {
    /// From 0 to 1.
    pub fn fraction(&self) -> f64 {
        self.loaded / self.total.max(1.0)
    }

    /// "42% · 3.1 MB/s · 12 s left".
    pub fn detail(&self) -> String {
        let rate = self.loaded / self.seconds.max(0.001);
        let left = if rate > 0.0 {
            (self.total - self.loaded) / rate
        } else {
            0.0
        };
        format!(
            "{:.0}% · {:.1} MB/s · {:.0} s left",
            self.fraction() * 100.0,
            rate / 1_048_576.0,
            left
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Sent;

    #[test]
    fn progress_reads_as_percent_rate_and_time_left() {
        let half = Sent {
            loaded: 2.0 * 1_048_576.0,
            total: 4.0 * 1_048_576.0,
            seconds: 2.0,
        };
        assert_eq!(half.fraction(), 0.5);
        assert_eq!(half.detail(), "50% · 1.0 MB/s · 2 s left");
        let empty = Sent {
            loaded: 0.0,
            total: 0.0,
            seconds: 0.0,
        };
        assert_eq!(empty.detail(), "0% · 0.0 MB/s · 0 s left");
    }
}

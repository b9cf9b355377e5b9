//! Fetching a dataset from a (signed) URL and PUTting artifacts to signed
//! upload URLs, with a few retries for passing network trouble.

use crate::error::{Result, TrainerError};
use std::time::Duration;

fn client() -> Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| TrainerError::io("http client", e))
}

fn with_retries<T>(what: &str, mut f: impl FnMut() -> std::result::Result<T, String>) -> Result<T> {
    let mut last = String::new();
    for attempt in 0..3 {
        match f() {
            Ok(v) => return Ok(v),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(500 << attempt));
    }
    Err(TrainerError::Io(format!("{what}: {last}")))
}

pub fn get(url: &str) -> Result<Vec<u8>> {
    let c = client()?;
    with_retries("downloading the dataset", || {
        let r = c.get(url).send().map_err(|e| e.to_string())?;
        if !r.status().is_success() {
            return Err(format!("the server answered {}", r.status()));
        }
        r.bytes().map(|b| b.to_vec()).map_err(|e| e.to_string())
    })
}

pub fn put(url: &str, body: Vec<u8>) -> Result<()> {
    let c = client()?;
    with_retries("uploading an artifact", || {
        let r = c
            .put(url)
            .body(body.clone())
            .send()
            .map_err(|e| e.to_string())?;
        if !r.status().is_success() {
            return Err(format!("the server answered {}", r.status()));
        }
        Ok(())
    })
}

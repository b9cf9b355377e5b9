//! Percent-encoding for values placed in a URL's query string, shared by the
//! server (the `next=` of sign-in redirects) and the UI (list filters).

/// Encodes everything but RFC 3986 unreserved characters and `/` (which a
/// query may hold as it is, and which keeps `next=/models` readable).
pub fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A list page's URL with one filter changed: the other `filters` keep their
/// current values (from `current`), `key` takes `value`, and an empty value
/// drops its filter; the page number is never kept (a new filter starts at page 1).
pub fn with_filter(
    path: &str,
    filters: &[&str],
    current: impl Fn(&str) -> Option<String>,
    key: &str,
    value: &str,
) -> String {
    let mut params: Vec<(String, String)> = filters
        .iter()
        .filter(|k| **k != key)
        .filter_map(|k| current(k).map(|v| (k.to_string(), v)))
        .collect();
    if !value.is_empty() {
        params.push((key.to_string(), value.to_string()));
    }
    let qs: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
        .collect();
    format!("{path}?{}", qs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_change_keeps_the_other_filters_and_drops_empty_ones() {
        let current = |k: &str| match k {
            "status" => Some("ready".to_string()),
            "q" => Some("eq 12".to_string()),
            _ => None,
        };
        assert_eq!(
            with_filter(
                "/datasets",
                &["status", "format", "q"],
                current,
                "format",
                "openai_chat_jsonl"
            ),
            "/datasets?status=ready&q=eq%2012&format=openai_chat_jsonl"
        );
        assert_eq!(
            with_filter("/training/jobs", &["status", "q"], current, "status", ""),
            "/training/jobs?q=eq%2012"
        );
    }
}

//! Percent-encoding for values placed in a URL's query string, shared by the
//! server (the `next=` of sign-in redirects) and the UI (list filters).

/// Encodes everything but RFC 3986 unreserved characters and `/` (which a
/// query may hold as it is, and which keeps `next=/models` readable).
pub fn encode_query_value(value: &str) -> String {
    percent_encode(value, b"/")
}

/// Percent-encodes every byte of `value` but RFC 3986's unreserved
/// characters and those in `keep`.
fn percent_encode(value: &str, keep: &[u8]) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || keep.contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Encodes one path segment: everything but RFC 3986 unreserved characters,
/// so a file name with `?`, `#`, `%` or spaces stays one segment.
pub fn encode_path_segment(segment: &str) -> String {
    percent_encode(segment, b"")
}

/// `path`'s segments each encoded, the slashes between them kept.
pub fn encode_path(path: &str) -> String {
    path.split('/')
        .map(encode_path_segment)
        .collect::<Vec<_>>()
        .join("/")
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
    fn path_segments_keep_every_character_of_a_file_name() {
        assert_eq!(
            encode_path_segment("a b?c#d%e.jsonl"),
            "a%20b%3Fc%23d%25e.jsonl"
        );
        assert_eq!(encode_path("x/é y/z"), "x/%C3%A9%20y/z");
        assert_eq!(encode_query_value("/m?q=1"), "/m%3Fq%3D1");
    }

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

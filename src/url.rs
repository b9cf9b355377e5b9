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

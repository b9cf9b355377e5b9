//! The server functions' wire format: JSON, like server_fn's own `Json`,
//! except that the browser decodes a response from text with
//! `serde_json::from_str` — the path the hydrated resources already take.
//! With server_fn's `from_slice` every response type's deserializer was
//! compiled into the bundle twice, once per reader.

use serde::Serialize;
use serde::de::DeserializeOwned;
use server_fn::codec::Post;
use server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};

/// `output = crate::rpc::Json` on every `#[server]` function.
pub type Json = Post<JsonText>;

pub struct JsonText;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        match std::str::from_utf8(&bytes) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => Err(serde::de::Error::custom("the response is not UTF-8")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_round_trips_and_bad_bytes_are_an_error() {
        let bytes = <JsonText as Encodes<Vec<u32>>>::encode(&vec![1, 2, 3]).unwrap();
        assert_eq!(&bytes[..], b"[1,2,3]");
        let back: Vec<u32> = <JsonText as Decodes<Vec<u32>>>::decode(bytes).unwrap();
        assert_eq!(back, vec![1, 2, 3]);
        let bad = <JsonText as Decodes<Vec<u32>>>::decode(Bytes::from_static(b"\xff["));
        assert!(bad.unwrap_err().to_string().contains("not UTF-8"));
    }
}

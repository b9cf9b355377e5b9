//! Turning generated tokens into text as they come: a token can end in the
//! middle of a character (byte-level vocabularies), and the start of a stop
//! sequence must not be shown before it is known not to be one. What is
//! released is final; the stop sequence itself is never shown.

pub struct TextStream<'a> {
    tokenizer: &'a tokenizers::Tokenizer,
    stops: &'a [String],
    ids: Vec<u32>,
    /// Bytes of the decoded text already released.
    released: usize,
}

/// What one more token did to the text.
#[derive(Debug, PartialEq)]
pub enum Piece {
    /// New final text (maybe empty while a character or a stop is pending).
    Text(String),
    /// A stop sequence appeared: the text before it that was not yet released.
    Stopped(String),
}

impl<'a> TextStream<'a> {
    pub fn new(tokenizer: &'a tokenizers::Tokenizer, stops: &'a [String]) -> Self {
        Self {
            tokenizer,
            stops,
            ids: Vec::new(),
            released: 0,
        }
    }

    fn decoded(&self) -> String {
        self.tokenizer.decode(&self.ids, true).unwrap_or_default()
    }

    pub fn push(&mut self, id: u32) -> Piece {
        self.ids.push(id);
        let text = self.decoded();
        if let Some(at) = self
            .stops
            .iter()
            .filter_map(|s| text.find(s.as_str()))
            .min()
        {
            let piece = text.get(self.released..at).unwrap_or_default().to_string();
            self.released = at.max(self.released);
            return Piece::Stopped(piece);
        }
        // Hold back a character still being completed (its bytes so far
        // decode as one or more replacement characters)…
        let mut end = text.trim_end_matches('\u{FFFD}').len();
        // …and a tail that may be the start of a stop sequence.
        end -= self.pending_stop(&text[..end]);
        if end <= self.released {
            return Piece::Text(String::new());
        }
        let piece = text[self.released..end].to_string();
        self.released = end;
        Piece::Text(piece)
    }

    /// Whatever was held back, once the answer has ended without a stop.
    pub fn finish(&mut self) -> String {
        let text = self.decoded();
        let rest = text.get(self.released..).unwrap_or_default().to_string();
        self.released = text.len();
        rest
    }

    /// The longest tail of `text` that a stop sequence starts with.
    fn pending_stop(&self, text: &str) -> usize {
        self.stops
            .iter()
            .flat_map(|s| {
                (1..s.len())
                    .rev()
                    .filter(|&n| s.is_char_boundary(n))
                    .map(move |n| &s[..n])
            })
            .filter(|prefix| text.ends_with(prefix))
            .map(str::len)
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(s: &str) -> Vec<u32> {
        // The tiny tokenizer has one token per byte, numbered by the byte.
        let tok = crate::model::tiny::tokenizer();
        s.bytes()
            .map(|b| {
                let ids = tok.encode_fast(String::from_utf8_lossy(&[b]).as_ref(), false);
                ids.map(|e| e.get_ids()[0]).unwrap_or(b as u32)
            })
            .collect()
    }

    #[test]
    fn a_character_split_across_tokens_is_released_whole() {
        let tok = crate::model::tiny::tokenizer();
        let ids = tok.encode_fast("£5€", false).unwrap().get_ids().to_vec();
        assert_eq!(ids.len(), 6, "£ is two bytes, € three");
        let mut s = TextStream::new(&tok, &[]);
        assert_eq!(s.push(ids[0]), Piece::Text(String::new()));
        assert_eq!(s.push(ids[1]), Piece::Text("£".into()));
        assert_eq!(s.push(ids[2]), Piece::Text("5".into()));
        assert_eq!(s.push(ids[3]), Piece::Text(String::new()));
        assert_eq!(s.push(ids[4]), Piece::Text(String::new()));
        assert_eq!(s.push(ids[5]), Piece::Text("€".into()));
        assert_eq!(s.finish(), "");
        // Bytes that never become a character are shown at the end.
        let mut broken = TextStream::new(&tok, &[]);
        assert_eq!(broken.push(ids[3]), Piece::Text(String::new()));
        assert_eq!(broken.finish(), "\u{FFFD}");
    }

    #[test]
    fn a_stop_sequence_is_held_back_and_never_shown() {
        let tok = crate::model::tiny::tokenizer();
        let stops = vec!["END".to_string()];
        let mut s = TextStream::new(&tok, &stops);
        let mut shown = String::new();
        let mut stopped = None;
        for id in bytes("Hi ENDo") {
            match s.push(id) {
                Piece::Text(t) => shown.push_str(&t),
                Piece::Stopped(t) => {
                    shown.push_str(&t);
                    stopped = Some(shown.clone());
                    break;
                }
            }
        }
        assert_eq!(stopped.as_deref(), Some("Hi "));
        // A prefix that turns out not to be a stop is released in full.
        let mut s = TextStream::new(&tok, &stops);
        let mut shown = String::new();
        for id in bytes("EN, ok") {
            if let Piece::Text(t) = s.push(id) {
                shown.push_str(&t);
            }
        }
        shown.push_str(&s.finish());
        assert_eq!(shown, "EN, ok");
    }
}

//! Turning generated tokens into text as they come: a token can end in the
//! middle of a character (byte-level vocabularies), and the start of a stop
//! sequence must not be shown before it is known not to be one. What is
//! released is final; the stop sequence itself is never shown.

pub struct TextStream<'a> {
    tokenizer: &'a tokenizers::Tokenizer,
    stops: &'a [String],
    ids: Vec<u32>,
    /// The ids decoded again as context for the new ones (so a word's
    /// leading space comes out right), and the first id not yet in `text`.
    prefix_offset: usize,
    read_offset: usize,
    /// The text of the ids before `read_offset`: whole characters only.
    text: String,
    /// Bytes of `text` already released.
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
            prefix_offset: 0,
            read_offset: 0,
            text: String::new(),
            released: 0,
        }
    }

    fn decode(&self, ids: &[u32]) -> String {
        self.tokenizer.decode(ids, true).unwrap_or_default()
    }

    /// Moves the new ids' text into `text` once it is whole characters (a
    /// token can end inside one: its bytes so far decode as replacement
    /// characters), or at the end whatever it is. Only the last few ids
    /// are decoded, so a long answer costs the same per token.
    fn settle(&mut self, at_end: bool) {
        let before = self.decode(&self.ids[self.prefix_offset..self.read_offset]);
        let now = self.decode(&self.ids[self.prefix_offset..]);
        if now.len() <= before.len() || (!at_end && now.ends_with('\u{FFFD}')) {
            return;
        }
        if let Some(new) = now.get(before.len()..) {
            self.text.push_str(new);
        }
        self.prefix_offset = self.read_offset;
        self.read_offset = self.ids.len();
    }

    pub fn push(&mut self, id: u32) -> Piece {
        self.ids.push(id);
        self.settle(false);
        let longest_stop = self.stops.iter().map(String::len).max().unwrap_or(0);
        let mut from = self.released.saturating_sub(longest_stop);
        while !self.text.is_char_boundary(from) {
            from -= 1;
        }
        if let Some(at) = self
            .stops
            .iter()
            .filter_map(|s| self.text[from..].find(s.as_str()).map(|i| from + i))
            .min()
        {
            let piece = self
                .text
                .get(self.released..at)
                .unwrap_or_default()
                .to_string();
            self.released = at.max(self.released);
            return Piece::Stopped(piece);
        }
        // Hold back a tail that may be the start of a stop sequence.
        let end = self.text.len() - self.pending_stop(&self.text);
        if end <= self.released {
            return Piece::Text(String::new());
        }
        let piece = self.text[self.released..end].to_string();
        self.released = end;
        Piece::Text(piece)
    }

    /// Whatever was held back, once the answer has ended without a stop.
    pub fn finish(&mut self) -> String {
        self.settle(true);
        let rest = self
            .text
            .get(self.released..)
            .unwrap_or_default()
            .to_string();
        self.released = self.text.len();
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
    fn the_pieces_of_a_long_answer_are_its_whole_text() {
        let tok = crate::model::tiny::tokenizer();
        let text = "Grüße — £5 or 5 €? 日本語 ok. ".repeat(40);
        let ids = tok
            .encode_fast(text.as_str(), false)
            .unwrap()
            .get_ids()
            .to_vec();
        let mut s = TextStream::new(&tok, &[]);
        let mut shown = String::new();
        for id in ids {
            match s.push(id) {
                Piece::Text(t) => shown.push_str(&t),
                Piece::Stopped(_) => panic!("no stop was asked for"),
            }
        }
        shown.push_str(&s.finish());
        assert_eq!(shown, text);
        // Only the last few ids are decoded again: the window stays small.
        assert!(s.ids.len() - s.prefix_offset <= 4, "{}", s.prefix_offset);
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

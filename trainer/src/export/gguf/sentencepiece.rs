//! A SentencePiece vocabulary (Llama 2, Mistral, TinyLlama: a
//! `tokenizer.model` beside tokenizer.json) as convert_hf_to_gguf.py writes
//! it (`tokenizer.ggml.model` `llama`): every id below the config's
//! vocab_size with its piece, score and type from the model file (ids it
//! lacks as `[PADi]`, score -10000, unused), then added_tokens.json and
//! tokenizer_config.json's added tokens over them (score -1000; control
//! when special or special-looking, else user-defined with `▁` as a space).
//!
//! The model file is a protobuf `ModelProto`, read here field by field:
//! only its pieces (field 1: piece = 1, score = 2, type = 3) matter. A
//! piece's type numbers are gguf's token types, except that
//! SentencePiece's user-defined pieces count as normal, as the converter
//! counts them.

use super::metadata::Kv;
use super::special::read_json;
use super::vocab::looks_special;
use super::writer::Meta;
use crate::error::{Result, TrainerError};
use std::path::Path;

const NORMAL: i32 = 1;
const CONTROL: i32 = 3;
const USER_DEFINED: i32 = 4;
const UNUSED: i32 = 5;

/// The model file's name in a Hugging Face folder.
pub const FILE: &str = "tokenizer.model";

/// One piece of the model file.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub text: String,
    pub score: f32,
    /// gguf's token type.
    pub kind: i32,
}

/// `tokenizer.ggml.{model, pre, tokens, scores, token_type}`.
pub fn vocab(dir: &Path, vocab_size: usize) -> Result<Kv> {
    let bad = |why: String| TrainerError::ModelFiles(dir.to_path_buf(), why);
    let bytes = std::fs::read(dir.join(FILE)).map_err(|e| bad(format!("{FILE}: {e}")))?;
    let pieces =
        pieces(&bytes).map_err(|why| bad(format!("{FILE} is not a SentencePiece model: {why}")))?;
    let mut tokens: Vec<String> = (0..vocab_size).map(|i| format!("[PAD{i}]")).collect();
    let mut scores = vec![-10000.0f32; vocab_size];
    let mut types = vec![UNUSED; vocab_size];
    for (id, piece) in pieces.into_iter().take(vocab_size).enumerate() {
        (tokens[id], scores[id], types[id]) = (piece.text, piece.score, piece.kind);
    }
    let mut put = |id: usize, text: String, kind: i32| {
        if id < vocab_size {
            (tokens[id], scores[id], types[id]) = (text, -1000.0, kind);
        }
    };
    if let Some(added) = read_json(dir, "added_tokens.json")?.as_object() {
        for (text, id) in added {
            if let Some(id) = id.as_u64() {
                put(id as usize, text.clone(), USER_DEFINED);
            }
        }
    }
    let config = read_json(dir, "tokenizer_config.json")?;
    if let Some(decoder) = config["added_tokens_decoder"].as_object() {
        for (id, token) in decoder {
            let (Ok(id), Some(text)) = (id.parse::<usize>(), token["content"].as_str()) else {
                continue;
            };
            if token["special"].as_bool() == Some(true) || looks_special(text) {
                put(id, text.to_string(), CONTROL);
            } else {
                put(id, text.replace('\u{2581}', " "), USER_DEFINED);
            }
        }
    }
    Ok(vec![
        ("tokenizer.ggml.model".into(), Meta::Str("llama".into())),
        ("tokenizer.ggml.pre".into(), Meta::Str("default".into())),
        ("tokenizer.ggml.tokens".into(), Meta::Strs(tokens)),
        ("tokenizer.ggml.scores".into(), Meta::F32s(scores)),
        ("tokenizer.ggml.token_type".into(), Meta::I32s(types)),
    ])
}

/// The pieces of a serialised `ModelProto`, in id order.
pub fn pieces(mut bytes: &[u8]) -> std::result::Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (field, value) = next_field(&mut bytes)?;
        if let (1, Value::Bytes(body)) = (field, value) {
            out.push(piece(body)?);
        }
    }
    Ok(out)
}

fn piece(mut bytes: &[u8]) -> std::result::Result<Piece, String> {
    let mut p = Piece {
        text: String::new(),
        score: 0.0,
        kind: NORMAL,
    };
    while !bytes.is_empty() {
        match next_field(&mut bytes)? {
            (1, Value::Bytes(b)) => {
                p.text = String::from_utf8(b.to_vec())
                    .map_err(|_| "a piece is not UTF-8".to_string())?;
            }
            (2, Value::Fixed32(bits)) => p.score = f32::from_bits(bits),
            (3, Value::Varint(t)) => {
                p.kind = match t {
                    2 | 3 | 5 | 6 => t as i32,
                    _ => NORMAL,
                }
            }
            _ => {}
        }
    }
    Ok(p)
}

enum Value<'a> {
    Varint(u64),
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32(u32),
}

/// The next field's number and value; `bytes` moves past it.
fn next_field<'a>(bytes: &mut &'a [u8]) -> std::result::Result<(u64, Value<'a>), String> {
    let key = varint(bytes)?;
    let value = match key & 7 {
        0 => Value::Varint(varint(bytes)?),
        1 => {
            take(bytes, 8)?;
            Value::Fixed64
        }
        2 => {
            let len = usize::try_from(varint(bytes)?).map_err(|_| "a length overflows")?;
            Value::Bytes(take(bytes, len)?)
        }
        5 => {
            let b = take(bytes, 4)?;
            Value::Fixed32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        }
        wire => return Err(format!("wire type {wire} is not one a model file uses")),
    };
    Ok((key >> 3, value))
}

fn varint(bytes: &mut &[u8]) -> std::result::Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let [b, rest @ ..] = *bytes else {
            return Err("it ends inside a number".into());
        };
        *bytes = rest;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("a number runs past 64 bits".into())
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> std::result::Result<&'a [u8], String> {
    if bytes.len() < n {
        return Err("it ends inside a field".into());
    }
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(field: u64, wire: u64, out: &mut Vec<u8>) {
        put_varint(field << 3 | wire, out);
    }

    fn put_varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// A ModelProto as protobuf writes it: pieces, then a trainer spec
    /// (field 2) the reader must skip.
    fn model(pieces: &[(&str, f32, Option<u64>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (text, score, kind) in pieces {
            let mut p = Vec::new();
            key(1, 2, &mut p);
            put_varint(text.len() as u64, &mut p);
            p.extend(text.as_bytes());
            key(2, 5, &mut p);
            p.extend(score.to_le_bytes());
            if let Some(k) = kind {
                key(3, 0, &mut p);
                put_varint(*k, &mut p);
            }
            key(1, 2, &mut out);
            put_varint(p.len() as u64, &mut out);
            out.extend(p);
        }
        key(2, 2, &mut out);
        out.extend([3, 0x08, 0x96, 0x01]);
        out
    }

    #[test]
    fn pieces_keep_their_order_scores_and_types() {
        let bytes = model(&[
            ("<unk>", 0.0, Some(2)),
            ("<s>", 0.0, Some(3)),
            ("<0x0A>", 0.0, Some(6)),
            ("▁the", -1.5, None),
            ("<sep>", 0.0, Some(4)),
            ("<dead>", 0.0, Some(5)),
        ]);
        let got = pieces(&bytes).unwrap();
        let summary: Vec<(&str, f32, i32)> = got
            .iter()
            .map(|p| (p.text.as_str(), p.score, p.kind))
            .collect();
        assert_eq!(
            summary,
            [
                ("<unk>", 0.0, 2),
                ("<s>", 0.0, CONTROL),
                ("<0x0A>", 0.0, 6),
                ("▁the", -1.5, NORMAL),
                ("<sep>", 0.0, NORMAL),
                ("<dead>", 0.0, UNUSED),
            ]
        );
    }

    #[test]
    fn a_cut_or_foreign_file_is_an_error_not_a_guess() {
        let bytes = model(&[("▁a", -1.0, None)]);
        // Every cut but the one between the pieces and the trainer spec.
        for cut in (1..bytes.len()).filter(|&c| c != bytes.len() - 5) {
            assert!(pieces(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(pieces(&bytes[..bytes.len() - 5]).unwrap().len(), 1);
        assert!(pieces(b"{\"model\": {}}").is_err());
        assert!(
            pieces(&[
                0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
            ])
            .is_err()
        );
    }

    #[test]
    fn added_tokens_go_over_the_pieces_and_holes_are_padding() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = model(&[
            ("<unk>", 0.0, Some(2)),
            ("<s>", 0.0, Some(3)),
            ("▁a", -2.0, None),
        ]);
        std::fs::write(dir.path().join(FILE), bytes).unwrap();
        std::fs::write(
            dir.path().join("tokenizer_config.json"),
            r#"{"added_tokens_decoder": {
                "3": {"content": "<|im_start|>", "special": false},
                "4": {"content": "▁hi", "special": false},
                "9": {"content": "<far>", "special": true}}}"#,
        )
        .unwrap();
        let kv = vocab(dir.path(), 6).unwrap();
        let get = |k: &str| &kv.iter().find(|(key, _)| key == k).unwrap().1;
        let Meta::Strs(tokens) = get("tokenizer.ggml.tokens") else {
            panic!()
        };
        assert_eq!(
            tokens,
            &["<unk>", "<s>", "▁a", "<|im_start|>", " hi", "[PAD5]"]
        );
        let Meta::F32s(scores) = get("tokenizer.ggml.scores") else {
            panic!()
        };
        assert_eq!(scores, &[0.0, 0.0, -2.0, -1000.0, -1000.0, -10000.0]);
        let Meta::I32s(types) = get("tokenizer.ggml.token_type") else {
            panic!()
        };
        assert_eq!(types, &[2, CONTROL, NORMAL, CONTROL, USER_DEFINED, UNUSED]);
        assert!(matches!(get("tokenizer.ggml.model"), Meta::Str(m) if m == "llama"));
    }
}

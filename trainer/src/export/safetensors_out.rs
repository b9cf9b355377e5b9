//! A safetensors file written one tensor at a time: the header (names,
//! dtypes, shapes, offsets) is known from the base's header before any
//! data is read, so nothing more than the tensor in hand is held.

use crate::error::{Result, TrainerError};
use safetensors::Dtype;
use serde_json::{Map, Value, json};
use std::fs::File;
use std::io::{BufWriter, Write};

pub struct Entry {
    pub name: String,
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    pub bytes: u64,
}

pub struct SafetensorsWriter {
    out: BufWriter<File>,
    entries: Vec<Entry>,
    next: usize,
    what: String,
}

impl SafetensorsWriter {
    /// Writes the header for `entries`, whose data follows in that order.
    pub fn start(mut out: BufWriter<File>, entries: Vec<Entry>, what: &str) -> Result<Self> {
        let header = header(&entries)?;
        let io = |e| TrainerError::io(what, e);
        out.write_all(&(header.len() as u64).to_le_bytes())
            .map_err(io)?;
        out.write_all(&header).map_err(io)?;
        Ok(Self {
            out,
            entries,
            next: 0,
            what: what.to_string(),
        })
    }

    /// The next tensor's data, which must be the next entry's.
    pub fn write(&mut self, name: &str, data: &[u8]) -> Result<()> {
        let e = self.entries.get(self.next).ok_or_else(|| {
            TrainerError::Io(format!("{}: `{name}` is not in its header", self.what))
        })?;
        if e.name != name || e.bytes != data.len() as u64 {
            return Err(TrainerError::Io(format!(
                "{}: `{name}` ({} bytes) came where `{}` ({} bytes) belongs",
                self.what,
                data.len(),
                e.name,
                e.bytes
            )));
        }
        self.out
            .write_all(data)
            .map_err(|e| TrainerError::io(&self.what, e))?;
        self.next += 1;
        Ok(())
    }

    pub fn finish(self) -> Result<()> {
        if self.next != self.entries.len() {
            return Err(TrainerError::Io(format!(
                "{}: {} of {} tensors written",
                self.what,
                self.next,
                self.entries.len()
            )));
        }
        super::partial::finish(self.out, &self.what)
    }
}

/// The JSON header, padded with spaces to a multiple of 8 bytes as the
/// safetensors library pads it (the data then starts aligned).
fn header(entries: &[Entry]) -> Result<Vec<u8>> {
    let mut map = Map::new();
    map.insert("__metadata__".into(), json!({"format": "pt"}));
    let mut offset = 0u64;
    for e in entries {
        let dtype =
            serde_json::to_value(e.dtype).map_err(|err| TrainerError::Io(err.to_string()))?;
        map.insert(
            e.name.clone(),
            json!({"dtype": dtype, "shape": e.shape, "data_offsets": [offset, offset + e.bytes]}),
        );
        offset += e.bytes;
    }
    let mut bytes = Value::Object(map).to_string().into_bytes();
    while !bytes.len().is_multiple_of(8) {
        bytes.push(b' ');
    }
    Ok(bytes)
}

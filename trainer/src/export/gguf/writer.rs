//! A streaming GGUF v3 writer: the header, the metadata, then every
//! tensor's info with its offset computed up front from its shape and
//! ggml type, then the data one tensor at a time, each aligned to
//! `general.alignment` (32). Memory: one tensor plus the metadata.

use crate::error::{Result, TrainerError};
use candle_core::quantized::GgmlDType;
use std::fs::File;
use std::io::{BufWriter, Write};

pub const ALIGNMENT: u64 = 32;
const MAGIC: u32 = 0x4655_4747; // "GGUF", little-endian
const VERSION: u32 = 3;

/// A metadata value, in the GGUF value types convert_hf_to_gguf.py uses.
#[derive(Debug, Clone, PartialEq)]
pub enum Meta {
    U32(u32),
    F32(f32),
    Bool(bool),
    Str(String),
    Strs(Vec<String>),
    I32s(Vec<i32>),
    F32s(Vec<f32>),
}

/// One tensor as the file will hold it; `shape` outermost first, as
/// PyTorch orders it (GGUF stores it reversed).
#[derive(Debug, Clone)]
pub struct TensorInfo {
    pub name: String,
    pub shape: Vec<usize>,
    pub dtype: GgmlDType,
}

impl TensorInfo {
    pub fn bytes(&self) -> u64 {
        let elems: usize = self.shape.iter().product();
        (elems / self.dtype.block_size() * self.dtype.type_size()) as u64
    }
}

pub struct GgufWriter {
    out: BufWriter<File>,
    tensors: Vec<TensorInfo>,
    next: usize,
    what: String,
}

impl GgufWriter {
    /// Writes everything before the tensor data.
    pub fn start(
        out: BufWriter<File>,
        metadata: &[(String, Meta)],
        tensors: Vec<TensorInfo>,
        what: &str,
    ) -> Result<Self> {
        let mut w = Self {
            out,
            tensors,
            next: 0,
            what: what.to_string(),
        };
        let mut head = Vec::new();
        head.extend(MAGIC.to_le_bytes());
        head.extend(VERSION.to_le_bytes());
        head.extend((w.tensors.len() as u64).to_le_bytes());
        head.extend((metadata.len() as u64).to_le_bytes());
        for (key, value) in metadata {
            put_str(&mut head, key);
            put_value(&mut head, value);
        }
        let mut offset = 0u64;
        for t in &w.tensors {
            put_str(&mut head, &t.name);
            head.extend((t.shape.len() as u32).to_le_bytes());
            for d in t.shape.iter().rev() {
                head.extend((*d as u64).to_le_bytes());
            }
            head.extend(dtype_id(t.dtype).to_le_bytes());
            head.extend(offset.to_le_bytes());
            offset += padded(t.bytes());
        }
        head.resize(padded(head.len() as u64) as usize, 0);
        w.put(&head)?;
        Ok(w)
    }

    /// The next tensor's data, which must be the next info's, whole.
    pub fn write(&mut self, name: &str, data: &[u8]) -> Result<()> {
        let info = self.tensors.get(self.next).ok_or_else(|| {
            TrainerError::Io(format!("{}: `{name}` is not in its tensor list", self.what))
        })?;
        if info.name != name || info.bytes() != data.len() as u64 {
            return Err(TrainerError::Io(format!(
                "{}: `{name}` ({} bytes) came where `{}` ({} bytes) belongs",
                self.what,
                data.len(),
                info.name,
                info.bytes()
            )));
        }
        let pad = (padded(data.len() as u64) - data.len() as u64) as usize;
        self.put(data)?;
        self.put(&[0u8; ALIGNMENT as usize][..pad])?;
        self.next += 1;
        Ok(())
    }

    pub fn finish(self) -> Result<()> {
        if self.next != self.tensors.len() {
            return Err(TrainerError::Io(format!(
                "{}: {} of {} tensors written",
                self.what,
                self.next,
                self.tensors.len()
            )));
        }
        super::super::partial::finish(self.out, &self.what)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.out
            .write_all(bytes)
            .map_err(|e| TrainerError::io(&self.what, e))
    }
}

fn padded(n: u64) -> u64 {
    n.div_ceil(ALIGNMENT) * ALIGNMENT
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend((s.len() as u64).to_le_bytes());
    buf.extend(s.as_bytes());
}

/// GGUF's value type ids.
const U32: u32 = 4;
const I32: u32 = 5;
const F32: u32 = 6;
const BOOL: u32 = 7;
const STRING: u32 = 8;
const ARRAY: u32 = 9;

fn put_value(buf: &mut Vec<u8>, v: &Meta) {
    let array_head = |buf: &mut Vec<u8>, ty: u32, n: usize| {
        buf.extend(ARRAY.to_le_bytes());
        buf.extend(ty.to_le_bytes());
        buf.extend((n as u64).to_le_bytes());
    };
    match v {
        Meta::U32(x) => {
            buf.extend(U32.to_le_bytes());
            buf.extend(x.to_le_bytes());
        }
        Meta::F32(x) => {
            buf.extend(F32.to_le_bytes());
            buf.extend(x.to_le_bytes());
        }
        Meta::Bool(x) => {
            buf.extend(BOOL.to_le_bytes());
            buf.push(u8::from(*x));
        }
        Meta::Str(s) => {
            buf.extend(STRING.to_le_bytes());
            put_str(buf, s);
        }
        Meta::Strs(list) => {
            array_head(buf, STRING, list.len());
            list.iter().for_each(|s| put_str(buf, s));
        }
        Meta::I32s(list) => {
            array_head(buf, I32, list.len());
            list.iter().for_each(|x| buf.extend(x.to_le_bytes()));
        }
        Meta::F32s(list) => {
            array_head(buf, F32, list.len());
            list.iter().for_each(|x| buf.extend(x.to_le_bytes()));
        }
    }
}

/// ggml's type ids (ggml.h), for the types an export writes.
fn dtype_id(t: GgmlDType) -> u32 {
    match t {
        GgmlDType::F32 => 0,
        GgmlDType::F16 => 1,
        GgmlDType::Q4_0 => 2,
        GgmlDType::Q4_1 => 3,
        GgmlDType::Q5_0 => 6,
        GgmlDType::Q5_1 => 7,
        GgmlDType::Q8_0 => 8,
        GgmlDType::Q8_1 => 9,
        GgmlDType::Q2K => 10,
        GgmlDType::Q3K => 11,
        GgmlDType::Q4K => 12,
        GgmlDType::Q5K => 13,
        GgmlDType::Q6K => 14,
        GgmlDType::Q8K => 15,
        GgmlDType::BF16 => 30,
    }
}

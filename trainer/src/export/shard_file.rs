//! One safetensors file read a tensor at a time: the header is parsed
//! once, then each tensor's bytes are read from its offsets into memory
//! that is freed when the tensor goes. Plain reads rather than a memory
//! map: the pages read stay in the page cache but not in the process, so
//! the export's resident memory is the tensor in hand, not the shard.

use crate::error::{Result, TrainerError};
use candle_core::{DType, Device, Tensor};
use safetensors::Dtype;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Headers beyond this are not a model's (safetensors caps them at 100 MB).
const MAX_HEADER: u64 = 100 << 20;

#[derive(Debug, Clone)]
pub struct Stored {
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    /// Byte range in the file.
    pub start: u64,
    pub end: u64,
}

pub struct ShardFile {
    path: PathBuf,
    file: File,
    pub tensors: BTreeMap<String, Stored>,
}

impl ShardFile {
    pub fn open(path: &Path) -> Result<Self> {
        let bad = |m: String| {
            TrainerError::ModelFiles(
                path.parent().unwrap_or(path).to_path_buf(),
                format!("{} {m}", path.display()),
            )
        };
        let mut file = File::open(path).map_err(|e| bad(format!("cannot be read: {e}")))?;
        let len = file.metadata().map_err(|e| bad(e.to_string()))?.len();
        let mut n = [0u8; 8];
        file.read_exact(&mut n)
            .map_err(|e| bad(format!("is not safetensors: {e}")))?;
        let n = u64::from_le_bytes(n);
        if n > MAX_HEADER || 8 + n > len {
            return Err(bad(format!("is not safetensors (header of {n} bytes)")));
        }
        let mut header = vec![0u8; n as usize];
        file.read_exact(&mut header)
            .map_err(|e| bad(e.to_string()))?;
        let header: Value = serde_json::from_slice(&header)
            .map_err(|e| bad(format!("has a header that is not JSON: {e}")))?;
        let tensors = parse(&header, 8 + n, len).map_err(bad)?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            tensors,
        })
    }

    /// A tensor's bytes, as stored.
    pub fn bytes(&self, name: &str) -> Result<Vec<u8>> {
        let t = self.stored(name)?;
        let mut buf = vec![0u8; (t.end - t.start) as usize];
        let mut f = &self.file;
        f.seek(SeekFrom::Start(t.start))
            .and_then(|_| f.read_exact(&mut buf))
            .map_err(|e| TrainerError::io(self.path.display(), e))?;
        Ok(buf)
    }

    /// A tensor, in its stored dtype.
    pub fn load(&self, name: &str) -> Result<Tensor> {
        let t = self.stored(name)?;
        let bytes = self.bytes(name)?;
        Ok(Tensor::from_raw_buffer(
            &bytes,
            DType::try_from(t.dtype)?,
            &t.shape,
            &Device::Cpu,
        )?)
    }

    fn stored(&self, name: &str) -> Result<&Stored> {
        self.tensors
            .get(name)
            .ok_or_else(|| TrainerError::io(self.path.display(), format!("has no tensor `{name}`")))
    }
}

/// The header's tensors, their ranges checked against their shapes and
/// the file's length.
fn parse(
    header: &Value,
    data_start: u64,
    len: u64,
) -> std::result::Result<BTreeMap<String, Stored>, String> {
    let map = header
        .as_object()
        .ok_or("has a header that is not an object")?;
    let mut out = BTreeMap::new();
    for (name, v) in map.iter().filter(|(k, _)| *k != "__metadata__") {
        let dtype: Dtype = serde_json::from_value(v["dtype"].clone())
            .map_err(|_| format!("gives `{name}` an unknown dtype {}", v["dtype"]))?;
        let shape: Vec<usize> = serde_json::from_value(v["shape"].clone())
            .map_err(|_| format!("gives `{name}` no shape"))?;
        let offsets: [u64; 2] = serde_json::from_value(v["data_offsets"].clone())
            .map_err(|_| format!("gives `{name}` no data_offsets"))?;
        let bits = shape.iter().product::<usize>() as u64 * dtype.bitsize() as u64;
        let (start, end) = (data_start + offsets[0], data_start + offsets[1]);
        if offsets[1] < offsets[0] || (end - start) * 8 != bits || end > len {
            return Err(format!(
                "has `{name}` out of place (offsets {offsets:?}); the file is damaged"
            ));
        }
        out.insert(
            name.clone(),
            Stored {
                dtype,
                shape,
                start,
                end,
            },
        );
    }
    Ok(out)
}

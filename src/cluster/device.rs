//! Where a job trains and in what precision: the `device` and `dtype` of a
//! job spec, and what an agent reports it has (`GET /v1/info`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The device a job asks for: `auto`, `cpu`, `cuda` (the first GPU) or
/// `cuda:N`. On the wire it is that string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceRequest {
    /// CUDA when the binary has it and a GPU is present, else the CPU.
    #[default]
    Auto,
    Cpu,
    /// A CUDA GPU by ordinal (0 for plain `cuda`).
    Cuda(usize),
}

impl DeviceRequest {
    pub fn wants_gpu(self) -> bool {
        matches!(self, Self::Cuda(_))
    }
}

impl fmt::Display for DeviceRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Cpu => f.write_str("cpu"),
            Self::Cuda(0) => f.write_str("cuda"),
            Self::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

impl FromStr for DeviceRequest {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("`{s}` is not a device; use auto, cpu, cuda or cuda:N (N a GPU number)");
        match s.trim() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda(0)),
            other => {
                let n = other.strip_prefix("cuda:").ok_or_else(bad)?;
                if n.is_empty() || n.len() > 3 || !n.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                n.parse().map(Self::Cuda).map_err(|_| bad())
            }
        }
    }
}

impl Serialize for DeviceRequest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DeviceRequest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The precision the frozen base weights are kept in. LoRA's A and B, the
/// optimizer's moments and the loss are always f32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum BaseDtype {
    Bf16,
    F16,
    F32,
}

impl BaseDtype {
    pub const ALL: [BaseDtype; 3] = [Self::Bf16, Self::F16, Self::F32];

    pub fn bytes(self) -> u64 {
        match self {
            Self::Bf16 | Self::F16 => 2,
            Self::F32 => 4,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bf16 => "bf16",
            Self::F16 => "f16",
            Self::F32 => "f32",
        }
    }

    /// The default on a device: f32 on the CPU, bf16 on a GPU that has it,
    /// f16 on one that does not (compute capability below 8.0, e.g. the T4).
    pub fn default_for(kind: DeviceKind, supports_bf16: bool) -> Self {
        match kind {
            DeviceKind::Cpu => Self::F32,
            DeviceKind::Cuda if supports_bf16 => Self::Bf16,
            DeviceKind::Cuda => Self::F16,
        }
    }
}

impl fmt::Display for BaseDtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BaseDtype {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == s.trim())
            .ok_or_else(|| format!("`{s}` is not a dtype; use bf16, f16 or f32"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    Cpu,
    Cuda,
}

/// One kind of device an agent has (`GET /v1/info`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub kind: DeviceKind,
    /// e.g. "NVIDIA H100 80GB HBM3", or the CPU's model name.
    pub name: String,
    /// Memory of one device in bytes (the machine's RAM for the CPU).
    pub memory_bytes: u64,
    /// How many of them.
    pub count: u32,
    /// Base dtypes this device trains in.
    pub dtypes: Vec<BaseDtype>,
}

/// What a trainer agent reports at `GET /v1/info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentInfo {
    pub version: String,
    /// Cargo features the binary was built with (`cuda`).
    pub features: Vec<String>,
    pub devices: Vec<DeviceInfo>,
}

impl AgentInfo {
    pub fn has_gpu(&self) -> bool {
        self.devices
            .iter()
            .any(|d| d.kind == DeviceKind::Cuda && d.count > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_parse_and_print_as_on_the_wire() {
        for s in ["auto", "cpu", "cuda", "cuda:3"] {
            let d: DeviceRequest = s.parse().unwrap();
            assert_eq!(d.to_string(), s);
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(serde_json::from_str::<DeviceRequest>(&json).unwrap(), d);
        }
        assert_eq!(
            "cuda:0".parse::<DeviceRequest>().unwrap(),
            DeviceRequest::Cuda(0)
        );
        for bad in ["gpu", "cuda:", "cuda:x", "cuda:-1", "cuda:99999", "CPU"] {
            let e = bad.parse::<DeviceRequest>().unwrap_err();
            assert!(e.contains("auto, cpu, cuda or cuda:N"), "{bad}: {e}");
        }
    }

    #[test]
    fn dtypes_parse_and_default_by_device() {
        assert_eq!("bf16".parse::<BaseDtype>().unwrap(), BaseDtype::Bf16);
        assert!(
            "fp8"
                .parse::<BaseDtype>()
                .unwrap_err()
                .contains("bf16, f16 or f32")
        );
        assert_eq!(
            BaseDtype::default_for(DeviceKind::Cpu, true),
            BaseDtype::F32
        );
        assert_eq!(
            BaseDtype::default_for(DeviceKind::Cuda, true),
            BaseDtype::Bf16
        );
        assert_eq!(
            BaseDtype::default_for(DeviceKind::Cuda, false),
            BaseDtype::F16
        );
        assert_eq!(serde_json::to_string(&BaseDtype::F16).unwrap(), "\"f16\"");
    }
}

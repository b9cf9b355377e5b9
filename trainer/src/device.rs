//! The devices this trainer can train on, and the one a job gets.
//!
//! A job trains where it says or not at all: a job that asks for a GPU
//! (`cuda`, `cuda:N`) on a machine whose trainer sees none fails with a
//! reason naming what was asked and what exists, instead of quietly training
//! on the CPU. `auto` takes the first GPU when there is one, else the CPU.
//!
//! GPUs are found through the CUDA driver, only in a build with the `cuda`
//! feature. The driver honours `CUDA_VISIBLE_DEVICES`, so a trainer that
//! Ray started sees exactly the GPUs Ray gave it, numbered from 0.

use crate::error::{Result, TrainerError};
use brightrun::cluster::{AgentInfo, BaseDtype, DeviceInfo, DeviceKind, DeviceRequest};
use candle_core::Device;
use std::sync::OnceLock;

/// Where a job trains: the candle device, the base weights' dtype, and what
/// the device is (reported as the device the job trained on).
#[derive(Debug, Clone)]
pub struct Resolved {
    pub device: Device,
    pub dtype: BaseDtype,
    /// The one device used: its kind and name, `count` 1, the dtypes it has.
    pub info: DeviceInfo,
}

/// The choice [`resolve`] makes, before any device is opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// `Cpu` or `Cuda(n)`, never `Auto`.
    pub request: DeviceRequest,
    pub dtype: BaseDtype,
    pub info: DeviceInfo,
}

/// What this process has, found once and kept: `GET /v1/info` and every
/// job's [`resolve`] see the same answer.
pub fn detected() -> &'static AgentInfo {
    static INFO: OnceLock<AgentInfo> = OnceLock::new();
    INFO.get_or_init(detect)
}

/// The devices this process can train on: the CPU always, and the CUDA
/// GPUs the driver shows in a `cuda` build.
pub fn detect() -> AgentInfo {
    AgentInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        features: features(),
        devices: std::iter::once(cpu()).chain(cuda_gpus()).collect(),
    }
}

#[cfg(feature = "cuda")]
fn cuda_gpus() -> Vec<DeviceInfo> {
    cuda::gpus().unwrap_or_else(|e| {
        // No driver, no GPU, or CUDA_VISIBLE_DEVICES empty: the CPU only.
        tracing::info!("no CUDA GPU: {e}");
        Vec::new()
    })
}

#[cfg(not(feature = "cuda"))]
fn cuda_gpus() -> Vec<DeviceInfo> {
    Vec::new()
}

/// The cargo features this binary was built with that matter to a caller.
pub fn features() -> Vec<String> {
    let mut f = Vec::new();
    if cfg!(feature = "cuda") {
        f.push("cuda".to_string());
    }
    f
}

/// This machine's CPU: its model name and RAM. It trains in every dtype
/// (f32 is its fast path; bf16 and f16 use candle's generic ops).
pub fn cpu() -> DeviceInfo {
    let name = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("{} CPU", std::env::consts::ARCH));
    let memory_bytes = crate::memory::proc_bytes("/proc/meminfo", "MemTotal:").unwrap_or(0);
    DeviceInfo {
        kind: DeviceKind::Cpu,
        name,
        memory_bytes,
        count: 1,
        dtypes: vec![BaseDtype::F32, BaseDtype::Bf16, BaseDtype::F16],
    }
}

/// Picks the device and dtype for a job on a machine with `info`, and opens
/// the device. Fails, naming what was asked and what exists, when the job
/// asks for a GPU this trainer does not see or a dtype its device lacks.
pub fn resolve(
    request: DeviceRequest,
    dtype: Option<BaseDtype>,
    info: &AgentInfo,
) -> Result<Resolved> {
    let choice = choose(request, dtype, info)?;
    let device = match choice.request {
        DeviceRequest::Cuda(n) => Device::new_cuda(n).map_err(|e| {
            TrainerError::Device(format!("cannot open cuda:{n} ({}): {e}", choice.info.name))
        })?,
        _ => Device::Cpu,
    };
    Ok(Resolved {
        device,
        dtype: choice.dtype,
        info: choice.info,
    })
}

/// [`resolve`]'s decision without opening anything: which device (by
/// ordinal), which dtype, and what the device is.
pub fn choose(
    request: DeviceRequest,
    dtype: Option<BaseDtype>,
    info: &AgentInfo,
) -> Result<Choice> {
    let visible = std::env::var("CUDA_VISIBLE_DEVICES").ok();
    choose_with(request, dtype, info, visible.as_deref())
}

fn choose_with(
    request: DeviceRequest,
    dtype: Option<BaseDtype>,
    info: &AgentInfo,
    visible: Option<&str>,
) -> Result<Choice> {
    let gpus = gpus(info);
    let request = match request {
        DeviceRequest::Auto if gpus.is_empty() => DeviceRequest::Cpu,
        DeviceRequest::Auto => DeviceRequest::Cuda(0),
        r => r,
    };
    let (device, place) = match request {
        DeviceRequest::Cuda(n) => {
            if gpus.is_empty() {
                return Err(TrainerError::Device(format!(
                    "the job asks for a GPU ({request}) but this trainer sees none: {}",
                    why_no_gpu(info, visible)
                )));
            }
            let Some(gpu) = gpus.get(n) else {
                return Err(TrainerError::Device(format!(
                    "the job asks for {request} but this machine has {} ({}); GPUs are numbered from 0",
                    plural(gpus.len(), "GPU"),
                    describe(info, DeviceKind::Cuda)
                )));
            };
            ((*gpu).clone(), request.to_string())
        }
        _ => (
            info.devices
                .iter()
                .find(|d| d.kind == DeviceKind::Cpu)
                .cloned()
                .unwrap_or_else(cpu),
            "cpu".to_string(),
        ),
    };
    let dtype = match dtype {
        None => BaseDtype::default_for(device.kind, device.dtypes.contains(&BaseDtype::Bf16)),
        Some(d) if device.dtypes.contains(&d) => d,
        Some(d) => {
            let has: Vec<&str> = device.dtypes.iter().map(|d| d.as_str()).collect();
            return Err(TrainerError::Device(format!(
                "the job asks for {d} weights but {} ({place}) trains in {} only; set dtype to one of those or leave it unset",
                device.name,
                has.join(", ")
            )));
        }
    };
    Ok(Choice {
        request,
        dtype,
        info: DeviceInfo { count: 1, ..device },
    })
}

/// One entry per GPU, by ordinal (an entry with `count` n stands for n GPUs).
fn gpus(info: &AgentInfo) -> Vec<&DeviceInfo> {
    info.devices
        .iter()
        .filter(|d| d.kind == DeviceKind::Cuda)
        .flat_map(|d| std::iter::repeat_n(d, d.count as usize))
        .collect()
}

/// "NVIDIA H100 80GB HBM3", "2 × NVIDIA A100-SXM4-80GB, Tesla T4".
fn describe(info: &AgentInfo, kind: DeviceKind) -> String {
    info.devices
        .iter()
        .filter(|d| d.kind == kind && d.count > 0)
        .map(|d| match d.count {
            1 => d.name.clone(),
            n => format!("{n} × {}", d.name),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Why a trainer sees no GPU, as far as it can tell.
fn why_no_gpu(info: &AgentInfo, visible: Option<&str>) -> String {
    if !info.features.iter().any(|f| f == "cuda") {
        return "it was built without the `cuda` feature (build it with `--features cuda` for GPU machines)".into();
    }
    match visible.map(str::trim) {
        Some("") => "CUDA_VISIBLE_DEVICES is empty, which hides every GPU (a scheduler such as Ray sets it to the GPUs it gave the job)".into(),
        Some(v) => format!("the CUDA driver shows no GPU with CUDA_VISIBLE_DEVICES={v}"),
        None => "the CUDA driver shows no GPU (check the NVIDIA driver with nvidia-smi)".into(),
    }
}

#[cfg(feature = "cuda")]
mod cuda {
    //! GPUs through the CUDA driver API, without creating a context (which
    //! would take memory on every GPU just to read names).

    use brightrun::cluster::{BaseDtype, DeviceInfo, DeviceKind};
    use candle_core::cuda_backend::cudarc::driver::{result, sys};

    pub fn gpus() -> Result<Vec<DeviceInfo>, String> {
        result::init().map_err(|e| format!("the CUDA driver did not start: {e}"))?;
        let count = result::device::get_count().map_err(|e| format!("counting GPUs: {e}"))?;
        let mut out: Vec<DeviceInfo> = Vec::new();
        for ordinal in 0..count {
            let gpu = one(ordinal).map_err(|e| format!("GPU {ordinal}: {e}"))?;
            // Consecutive identical GPUs are one entry with a count, so
            // ordinals still follow the order of the entries.
            match out.last_mut() {
                Some(last)
                    if last.name == gpu.name
                        && last.memory_bytes == gpu.memory_bytes
                        && last.dtypes == gpu.dtypes =>
                {
                    last.count += 1
                }
                _ => out.push(gpu),
            }
        }
        Ok(out)
    }

    fn one(ordinal: i32) -> Result<DeviceInfo, result::DriverError> {
        let dev = result::device::get(ordinal)?;
        let name = result::device::get_name(dev)?;
        // SAFETY: `dev` came from `device::get` just above.
        let (memory, major) = unsafe {
            (
                result::device::total_mem(dev)?,
                result::device::get_attribute(
                    dev,
                    sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                )?,
            )
        };
        // bf16 arithmetic needs compute capability 8.0 (Ampere) or later.
        let dtypes = if major >= 8 {
            vec![BaseDtype::Bf16, BaseDtype::F16, BaseDtype::F32]
        } else {
            vec![BaseDtype::F16, BaseDtype::F32]
        };
        Ok(DeviceInfo {
            kind: DeviceKind::Cuda,
            name,
            memory_bytes: memory as u64,
            count: 1,
            dtypes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: u64 = 1 << 30;

    fn cpu_only() -> AgentInfo {
        AgentInfo {
            version: "0".into(),
            features: vec![],
            devices: vec![DeviceInfo {
                kind: DeviceKind::Cpu,
                name: "AMD EPYC 9654".into(),
                memory_bytes: 64 * GB,
                count: 1,
                dtypes: vec![BaseDtype::F32, BaseDtype::Bf16, BaseDtype::F16],
            }],
        }
    }

    fn with_gpus(gpus: &[(&str, u32, bool)]) -> AgentInfo {
        let mut info = cpu_only();
        info.features = vec!["cuda".into()];
        for (name, count, bf16) in gpus {
            info.devices.push(DeviceInfo {
                kind: DeviceKind::Cuda,
                name: name.to_string(),
                memory_bytes: 80 * GB,
                count: *count,
                dtypes: if *bf16 {
                    vec![BaseDtype::Bf16, BaseDtype::F16, BaseDtype::F32]
                } else {
                    vec![BaseDtype::F16, BaseDtype::F32]
                },
            });
        }
        info
    }

    fn err(r: Result<Choice>) -> String {
        match r {
            Err(TrainerError::Device(m)) => m,
            other => panic!("expected a device error, got {other:?}"),
        }
    }

    #[test]
    fn a_cpu_only_machine_trains_auto_and_cpu_jobs_in_f32_and_refuses_gpu_jobs() {
        let info = cpu_only();
        for request in [DeviceRequest::Auto, DeviceRequest::Cpu] {
            let c = choose_with(request, None, &info, None).unwrap();
            assert_eq!(c.request, DeviceRequest::Cpu);
            assert_eq!(c.dtype, BaseDtype::F32);
            assert_eq!(c.info.name, "AMD EPYC 9654");
        }
        let c = choose_with(DeviceRequest::Cpu, Some(BaseDtype::Bf16), &info, None).unwrap();
        assert_eq!(c.dtype, BaseDtype::Bf16);

        let m = err(choose_with(DeviceRequest::Cuda(0), None, &info, None));
        assert!(
            m.contains("asks for a GPU (cuda)") && m.contains("built without the `cuda` feature"),
            "{m}"
        );
        let mut cuda_build = info.clone();
        cuda_build.features = vec!["cuda".into()];
        let m = err(choose_with(
            DeviceRequest::Cuda(1),
            None,
            &cuda_build,
            Some(""),
        ));
        assert!(
            m.contains("asks for a GPU (cuda:1)") && m.contains("CUDA_VISIBLE_DEVICES is empty"),
            "{m}"
        );
        let m = err(choose_with(
            DeviceRequest::Cuda(0),
            None,
            &cuda_build,
            Some("3"),
        ));
        assert!(m.contains("CUDA_VISIBLE_DEVICES=3"), "{m}");
        let m = err(choose_with(DeviceRequest::Cuda(0), None, &cuda_build, None));
        assert!(m.contains("nvidia-smi"), "{m}");
    }

    #[test]
    fn one_gpu_is_auto_and_cuda_0_in_bf16_and_cuda_1_names_what_exists() {
        let info = with_gpus(&[("NVIDIA H100 80GB HBM3", 1, true)]);
        for request in [DeviceRequest::Auto, DeviceRequest::Cuda(0)] {
            let c = choose_with(request, None, &info, None).unwrap();
            assert_eq!(c.request, DeviceRequest::Cuda(0));
            assert_eq!(c.dtype, BaseDtype::Bf16);
            assert_eq!(c.info.kind, DeviceKind::Cuda);
            assert_eq!(c.info.name, "NVIDIA H100 80GB HBM3");
        }
        let c = choose_with(DeviceRequest::Cpu, None, &info, None).unwrap();
        assert_eq!((c.info.kind, c.dtype), (DeviceKind::Cpu, BaseDtype::F32));
        let f32 = choose_with(DeviceRequest::Auto, Some(BaseDtype::F32), &info, None).unwrap();
        assert_eq!(f32.dtype, BaseDtype::F32);
        assert_eq!(
            err(choose_with(DeviceRequest::Cuda(1), None, &info, None)),
            "the job asks for cuda:1 but this machine has 1 GPU (NVIDIA H100 80GB HBM3); GPUs are numbered from 0"
        );
    }

    #[test]
    fn two_gpus_are_numbered_across_entries() {
        let same = with_gpus(&[("NVIDIA A100-SXM4-80GB", 2, true)]);
        let c = choose_with(DeviceRequest::Cuda(1), None, &same, None).unwrap();
        assert_eq!(c.request, DeviceRequest::Cuda(1));
        assert_eq!(c.info.count, 1, "the device used, not the machine's count");
        let m = err(choose_with(DeviceRequest::Cuda(2), None, &same, None));
        assert!(m.contains("has 2 GPUs (2 × NVIDIA A100-SXM4-80GB)"), "{m}");

        let mixed = with_gpus(&[("NVIDIA A100-SXM4-80GB", 1, true), ("Tesla T4", 1, false)]);
        let c = choose_with(DeviceRequest::Cuda(1), None, &mixed, None).unwrap();
        assert_eq!(
            (c.info.name.as_str(), c.dtype),
            ("Tesla T4", BaseDtype::F16)
        );
        let m = err(choose_with(DeviceRequest::Cuda(5), None, &mixed, None));
        assert!(
            m.contains("cuda:5") && m.contains("NVIDIA A100-SXM4-80GB, Tesla T4"),
            "{m}"
        );
    }

    #[test]
    fn an_f16_only_gpu_defaults_to_f16_and_refuses_bf16_naming_both() {
        let info = with_gpus(&[("Tesla T4", 1, false)]);
        let c = choose_with(DeviceRequest::Auto, None, &info, None).unwrap();
        assert_eq!(c.dtype, BaseDtype::F16);
        let m = err(choose_with(
            DeviceRequest::Cuda(0),
            Some(BaseDtype::Bf16),
            &info,
            None,
        ));
        assert!(
            m.contains("asks for bf16") && m.contains("Tesla T4 (cuda)") && m.contains("f16, f32"),
            "{m}"
        );
    }

    #[test]
    fn this_machine_has_its_cpu_and_resolves_a_cpu_job() {
        let info = detect();
        let cpu = &info.devices[0];
        assert_eq!((cpu.kind, cpu.count), (DeviceKind::Cpu, 1));
        assert!(!cpu.name.is_empty());
        if cfg!(target_os = "linux") {
            assert!(cpu.memory_bytes > 0);
        }
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        let r = resolve(DeviceRequest::Cpu, None, &info).unwrap();
        assert!(r.device.is_cpu());
        assert_eq!(r.dtype, BaseDtype::F32);
    }
}

//! Which of the GPU catalog's types an agent's devices are, which types a
//! cluster can offer, and whether an agent can run a job at all.
//!
//! The rule: a job that asks for a GPU — `device` `cuda`/`cuda:N`, or a GPU
//! type other than `cpu` with `device` `auto` — goes only to an agent that
//! has that GPU (as many as it asks for, of the type it asks for when the
//! catalog knows the type). Everything else is refused before it starts,
//! with a message naming what was asked and what the agent has. A job for
//! the CPU runs anywhere: every agent has one.

use super::device::{AgentInfo, DeviceInfo, DeviceKind, DeviceRequest};
use crate::training::{CPU_GPU, GpuCatalog, GpuType};

/// The catalog entry a device is: `cpu` for the CPU; for a GPU, the entry
/// whose name is the device's, else the one whose id's model ("h100" of
/// `h100-80gb`) is a word of the device's name with the nearest memory
/// (within a quarter): "NVIDIA H100 80GB HBM3" is `h100-80gb`, "Tesla T4"
/// is `t4`, "NVIDIA A100-SXM4-40GB" is `a100-40gb`.
pub fn catalog_entry<'a>(catalog: &'a GpuCatalog, device: &DeviceInfo) -> Option<&'a GpuType> {
    if device.kind == DeviceKind::Cpu {
        return catalog.get(CPU_GPU);
    }
    let name = words(&device.name);
    let gpus = || catalog.gpus.iter().filter(|g| g.id != CPU_GPU);
    if let Some(exact) = gpus().find(|g| words(&g.name) == name || words(&g.id) == name) {
        return Some(exact);
    }
    let gib = device.memory_bytes as f64 / (1u64 << 30) as f64;
    gpus()
        .filter(|g| {
            let model = g.id.split('-').next().unwrap_or_default().to_lowercase();
            !model.is_empty() && name.contains(&model)
        })
        .filter(|g| {
            // A catalog entry without memory, or a device that did not say, matches any.
            g.vram_gb == 0
                || device.memory_bytes == 0
                || (gib - f64::from(g.vram_gb)).abs() <= f64::from(g.vram_gb) / 4.0
        })
        .min_by(|a, b| {
            let off = |g: &GpuType| (gib - f64::from(g.vram_gb)).abs();
            off(a).total_cmp(&off(b))
        })
}

/// What a cluster whose agent reports `info` offers on the configure page:
/// the catalog entry of each device it has, the CPU (`cpu`) first. A GPU
/// the catalog does not know has no price, so it is not offered.
pub fn offered(catalog: &GpuCatalog, info: &AgentInfo) -> Vec<GpuType> {
    let mut out: Vec<GpuType> = Vec::new();
    let cpu_first = info
        .devices
        .iter()
        .filter(|d| d.kind == DeviceKind::Cpu)
        .chain(info.devices.iter().filter(|d| d.kind != DeviceKind::Cpu));
    for d in cpu_first.filter(|d| d.count > 0) {
        if let Some(entry) = catalog_entry(catalog, d)
            && !out.iter().any(|g| g.id == entry.id)
        {
            out.push(entry.clone());
        }
    }
    out
}

/// The most GPUs of one catalog type the agent has (1 for a CPU-only agent).
pub fn max_count(catalog: &GpuCatalog, info: &AgentInfo) -> u32 {
    info.devices
        .iter()
        .filter(|d| d.kind == DeviceKind::Cuda)
        .filter_map(|d| catalog_entry(catalog, d).map(|e| (e.id.as_str(), d.count)))
        .fold(Vec::<(&str, u32)>::new(), |mut acc, (id, n)| {
            match acc.iter_mut().find(|(i, _)| *i == id) {
                Some((_, c)) => *c += n,
                None => acc.push((id, n)),
            }
            acc
        })
        .into_iter()
        .map(|(_, n)| n)
        .max()
        .unwrap_or(1)
}

/// Why an agent with `info` cannot run a job asking for `device` and
/// `gpu_count` × `gpu_type` (a catalog id), or `None` when it can.
pub fn refusal(
    device: DeviceRequest,
    gpu_type: Option<&str>,
    gpu_count: u32,
    info: &AgentInfo,
    catalog: &GpuCatalog,
) -> Option<String> {
    let typed = gpu_type.filter(|t| *t != CPU_GPU);
    let wants_gpu = device.wants_gpu() || (device == DeviceRequest::Auto && typed.is_some());
    if !wants_gpu {
        return None;
    }
    let entry = typed.and_then(|t| catalog.get(t));
    let asked = match (typed, entry) {
        (Some(t), Some(e)) => format!("{} ({t}, {device})", count_of(gpu_count, &e.name)),
        (Some(t), None) => format!("{} ({device})", count_of(gpu_count, t)),
        (None, _) => format!("a GPU ({device})"),
    };
    let gpus: Vec<&DeviceInfo> = info
        .devices
        .iter()
        .filter(|d| d.kind == DeviceKind::Cuda && d.count > 0)
        .collect();
    let total: u32 = gpus.iter().map(|d| d.count).sum();
    if total == 0 {
        let cpu = info
            .devices
            .iter()
            .find(|d| d.kind == DeviceKind::Cpu)
            .map_or("its CPU".to_string(), |d| format!("its CPU ({})", d.name));
        let hint = if info.features.iter().any(|f| f == "cuda") {
            "the CUDA driver shows it no GPU"
        } else {
            "its trainer was built without the `cuda` feature"
        };
        return Some(format!(
            "the job asks for {asked} but the agent has no GPU, only {cpu}: {hint}"
        ));
    }
    let has = describe(&gpus);
    if let DeviceRequest::Cuda(n) = device
        && n as u32 >= total
    {
        return Some(format!(
            "the job asks for {asked} but the agent has {} ({has}); GPUs are numbered from 0",
            count_of(total, "GPU")
        ));
    }
    let available = match entry {
        Some(e) => {
            let same: u32 = gpus
                .iter()
                .filter(|d| catalog_entry(catalog, d).is_some_and(|c| c.id == e.id))
                .map(|d| d.count)
                .sum();
            if same == 0 {
                return Some(format!("the job asks for {asked} but the agent has {has}"));
            }
            same
        }
        // A type this catalog does not know: any GPU may be it.
        None => total,
    };
    if gpu_count > available {
        return Some(format!(
            "the job asks for {asked} but the agent has {available} of them ({has})"
        ));
    }
    None
}

/// What a run's compute is billed as: a catalog type, its hourly price,
/// and how many.
#[derive(Debug, Clone, PartialEq)]
pub struct Billing {
    pub gpu_type: String,
    pub price_per_hour: f64,
    pub count: u32,
}

/// Compute is billed at the price of the device that trained. Until the
/// trainer says which, and when it trained on the type asked for (or on a
/// GPU the catalog cannot price), that is the request at the estimate's
/// price; otherwise it is the catalog entry of the device it reported — one
/// CPU however many GPUs were asked for.
pub fn billing(
    catalog: &GpuCatalog,
    requested_type: &str,
    requested_price: f64,
    requested_count: u32,
    trained: Option<&DeviceInfo>,
) -> Billing {
    let requested = Billing {
        gpu_type: requested_type.to_string(),
        price_per_hour: requested_price,
        count: requested_count.max(1),
    };
    match trained.and_then(|d| catalog_entry(catalog, d).map(|e| (d, e))) {
        Some((_, e)) if e.id == requested_type => requested,
        Some((d, e)) => Billing {
            gpu_type: e.id.clone(),
            price_per_hour: e.price_per_hour,
            count: if d.kind == DeviceKind::Cpu {
                1
            } else {
                requested_count.max(1)
            },
        },
        None => requested,
    }
}

fn count_of(n: u32, what: &str) -> String {
    match n {
        0 | 1 => format!("1 {what}"),
        n => format!("{n} × {what}"),
    }
}

fn describe(devices: &[&DeviceInfo]) -> String {
    devices
        .iter()
        .map(|d| match d.count {
            1 => d.name.clone(),
            n => format!("{n} × {}", d.name),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Lower-case words: "NVIDIA A100-SXM4-80GB" → ["nvidia", "a100", "sxm4", "80gb"].
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::BaseDtype;

    const GIB: u64 = 1 << 30;

    fn gpu(name: &str, gib: u64, count: u32) -> DeviceInfo {
        DeviceInfo {
            kind: DeviceKind::Cuda,
            name: name.into(),
            memory_bytes: gib * GIB,
            count,
            dtypes: vec![BaseDtype::Bf16, BaseDtype::F16, BaseDtype::F32],
        }
    }

    fn agent(gpus: Vec<DeviceInfo>, cuda: bool) -> AgentInfo {
        let mut devices = vec![DeviceInfo {
            kind: DeviceKind::Cpu,
            name: "AMD EPYC 9654".into(),
            memory_bytes: 64 * GIB,
            count: 1,
            dtypes: vec![BaseDtype::F32],
        }];
        devices.extend(gpus);
        AgentInfo {
            version: "0".into(),
            features: if cuda { vec!["cuda".into()] } else { vec![] },
            devices,
        }
    }

    fn id(device: &DeviceInfo) -> Option<String> {
        catalog_entry(&GpuCatalog::default(), device).map(|g| g.id.clone())
    }

    #[test]
    fn real_gpu_names_are_the_catalogs_types() {
        let cases = [
            ("NVIDIA H100 80GB HBM3", 80, Some("h100-80gb")),
            ("NVIDIA H100 PCIe", 80, Some("h100-80gb")),
            ("NVIDIA A100-SXM4-80GB", 80, Some("a100-80gb")),
            ("NVIDIA A100-PCIE-40GB", 40, Some("a100-40gb")),
            ("Tesla T4", 15, Some("t4")),
            ("NVIDIA L4", 22, Some("l4")),
            ("NVIDIA A10G", 22, Some("a10g")),
            ("NVIDIA L40S", 45, None),
            ("NVIDIA GeForce RTX 4090", 24, None),
        ];
        for (name, gib, want) in cases {
            assert_eq!(id(&gpu(name, gib, 1)).as_deref(), want, "{name}");
        }
        let cpu = &agent(vec![], false).devices[0];
        assert_eq!(id(cpu).as_deref(), Some("cpu"));
    }

    #[test]
    fn a_cluster_offers_its_cpu_and_the_catalog_types_of_its_gpus() {
        let c = GpuCatalog::default();
        let ids = |info: &AgentInfo| -> Vec<String> {
            offered(&c, info).into_iter().map(|g| g.id).collect()
        };
        assert_eq!(ids(&agent(vec![], false)), ["cpu"]);
        let two = agent(
            vec![gpu("NVIDIA H100 80GB HBM3", 80, 2), gpu("Tesla T4", 15, 1)],
            true,
        );
        assert_eq!(ids(&two), ["cpu", "h100-80gb", "t4"]);
        let unknown = agent(vec![gpu("NVIDIA GeForce RTX 4090", 24, 1)], true);
        assert_eq!(
            ids(&unknown),
            ["cpu"],
            "a GPU without a price is not offered"
        );
        assert_eq!(max_count(&c, &two), 2);
        assert_eq!(max_count(&c, &agent(vec![], false)), 1);
    }

    #[test]
    fn a_gpu_job_is_refused_where_that_gpu_is_missing_naming_both() {
        let c = GpuCatalog::default();
        let cpu_only = agent(vec![], false);
        let m = refusal(DeviceRequest::Cuda(0), Some("t4"), 1, &cpu_only, &c).unwrap();
        assert_eq!(
            m,
            "the job asks for 1 NVIDIA T4 (t4, cuda) but the agent has no GPU, only its CPU (AMD EPYC 9654): its trainer was built without the `cuda` feature"
        );
        // `auto` with a GPU type is a GPU request too; a CPU job runs anywhere.
        assert!(refusal(DeviceRequest::Auto, Some("a100-80gb"), 1, &cpu_only, &c).is_some());
        assert!(refusal(DeviceRequest::Auto, Some("cpu"), 1, &cpu_only, &c).is_none());
        assert!(refusal(DeviceRequest::Cpu, None, 1, &cpu_only, &c).is_none());
        assert!(refusal(DeviceRequest::Auto, None, 1, &cpu_only, &c).is_none());

        let h100 = agent(vec![gpu("NVIDIA H100 80GB HBM3", 80, 1)], true);
        assert!(refusal(DeviceRequest::Cuda(0), Some("h100-80gb"), 1, &h100, &c).is_none());
        assert!(refusal(DeviceRequest::Cuda(0), None, 1, &h100, &c).is_none());
        let m = refusal(DeviceRequest::Cuda(0), Some("t4"), 1, &h100, &c).unwrap();
        assert!(
            m.contains("asks for 1 NVIDIA T4 (t4, cuda)")
                && m.ends_with("the agent has NVIDIA H100 80GB HBM3"),
            "{m}"
        );
        let m = refusal(DeviceRequest::Cuda(1), None, 1, &h100, &c).unwrap();
        assert!(
            m.contains("a GPU (cuda:1)") && m.contains("has 1 GPU (NVIDIA H100 80GB HBM3)"),
            "{m}"
        );
        let m = refusal(DeviceRequest::Cuda(0), Some("h100-80gb"), 4, &h100, &c).unwrap();
        assert!(
            m.contains("4 × NVIDIA H100 80 GB") && m.contains("has 1 of them"),
            "{m}"
        );
        // A type the catalog does not know: any GPU may be it.
        assert!(refusal(DeviceRequest::Cuda(0), Some("mi300x"), 1, &h100, &c).is_none());
    }

    #[test]
    fn compute_is_billed_as_the_device_that_trained() {
        let c = GpuCatalog::default().with_cpu_price(0.12);
        let asked = |trained: Option<&DeviceInfo>| billing(&c, "t4", 0.35, 2, trained);
        let t4 = Billing {
            gpu_type: "t4".into(),
            price_per_hour: 0.35,
            count: 2,
        };
        assert_eq!(asked(None), t4, "until the trainer says");
        assert_eq!(asked(Some(&gpu("Tesla T4", 15, 1))), t4);
        let cpu = agent(vec![], false).devices[0].clone();
        assert_eq!(
            asked(Some(&cpu)),
            Billing {
                gpu_type: "cpu".into(),
                price_per_hour: 0.12,
                count: 1
            }
        );
        let h100 = asked(Some(&gpu("NVIDIA H100 80GB HBM3", 80, 1)));
        assert_eq!((h100.gpu_type.as_str(), h100.count), ("h100-80gb", 2));
        assert_eq!(
            h100.price_per_hour,
            c.get("h100-80gb").unwrap().price_per_hour
        );
        assert_eq!(asked(Some(&gpu("NVIDIA GeForce RTX 4090", 24, 1))), t4);
    }
}

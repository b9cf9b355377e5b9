//! The cluster contract: the types the server and the trainer exchange
//! (DESIGN §4.2), defined once here so the two sides cannot disagree.

pub mod device;

pub use device::{AgentInfo, BaseDtype, DeviceInfo, DeviceKind, DeviceRequest};

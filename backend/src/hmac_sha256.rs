//! HMAC-SHA256, the one keyed hash behind every signature BrightRun makes:
//! the local store's signed URLs, S3's SigV4 policies and webhook bodies.

use hmac::{Hmac, Mac};
use sha2::Sha256;

fn keyed(key: &[u8], parts: &[&[u8]]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac
}

/// The MAC of the concatenated `parts` under `key`.
pub fn sign(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    keyed(key, parts).finalize().into_bytes().into()
}

/// Constant-time check that `signature` is the MAC of `parts` under `key`.
pub fn verify(key: &[u8], parts: &[&[u8]], signature: &[u8]) -> bool {
    keyed(key, parts).verify_slice(signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4231_case_2_split_anywhere() {
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(
            hex::encode(sign(b"Jefe", &[b"what do ya want for nothing?"])),
            expected
        );
        let split = sign(b"Jefe", &[b"what do ya ", b"want for nothing?"]);
        assert_eq!(hex::encode(split), expected);
        assert!(verify(b"Jefe", &[b"what do ya want for nothing?"], &split));
        assert!(!verify(b"Jefe", &[b"what do ya want for nothing!"], &split));
        assert!(!verify(b"Jeff", &[b"what do ya want for nothing?"], &split));
    }
}

//! S3-compatible storage: its settings, and browser uploads as presigned
//! POST forms whose policy S3 itself enforces (this exact key, at most
//! `max_bytes`, until the expiry) — a presigned PUT carries no size limit.

use crate::config::Secret;
use crate::hmac_sha256;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey, AwsCredential};

/// Where and as whom to reach the bucket. Anything unset falls back to the
/// standard `AWS_*` variables and the default credential chain.
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    /// `BRIGHTRUN_S3_BUCKET`.
    pub bucket: String,
    /// `AWS_ENDPOINT_URL`: an S3-compatible server (path-style requests).
    pub endpoint: Option<String>,
    /// `AWS_REGION`.
    pub region: Option<String>,
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret<String>>,
    pub session_token: Option<Secret<String>>,
}

impl S3Settings {
    /// The client builder: the environment first, these settings over it.
    pub fn builder(&self) -> AmazonS3Builder {
        let mut b = AmazonS3Builder::from_env().with_bucket_name(&self.bucket);
        if let Some(endpoint) = &self.endpoint {
            b = b
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        if let Some(region) = &self.region {
            b = b.with_region(region);
        }
        if let (Some(id), Some(secret)) = (&self.access_key_id, &self.secret_access_key) {
            b = b
                .with_access_key_id(id)
                .with_secret_access_key(secret.expose());
            if let Some(token) = &self.session_token {
                b = b.with_token(token.expose());
            }
        }
        b
    }
}

/// Where the form is posted, as the builder resolved it.
#[derive(Debug, Clone)]
pub struct PostTarget {
    pub url: String,
    pub region: String,
}

impl PostTarget {
    pub fn from_builder(b: &AmazonS3Builder) -> Self {
        let region = b
            .get_config_value(&AmazonS3ConfigKey::Region)
            .unwrap_or_else(|| "us-east-1".into());
        let bucket = b
            .get_config_value(&AmazonS3ConfigKey::Bucket)
            .unwrap_or_default();
        let virtual_hosted = b
            .get_config_value(&AmazonS3ConfigKey::VirtualHostedStyleRequest)
            .is_some_and(|v| v == "true");
        let url = match b.get_config_value(&AmazonS3ConfigKey::Endpoint) {
            Some(endpoint) if virtual_hosted => endpoint.trim_end_matches('/').to_string(),
            Some(endpoint) => format!("{}/{bucket}", endpoint.trim_end_matches('/')),
            None => format!("https://{bucket}.s3.{region}.amazonaws.com"),
        };
        Self { url, region }
    }
}

/// A presigned POST form: post `fields` in this order, then the file as
/// the last field, named `file`.
#[derive(Debug, Clone, PartialEq)]
pub struct PostForm {
    pub url: String,
    pub fields: Vec<(String, String)>,
}

/// Signs a POST policy (AWS Signature Version 4) for exactly `key`, 1 to
/// `max_bytes` bytes, until `expires`.
pub fn presigned_post(
    target: &PostTarget,
    bucket: &str,
    credential: &AwsCredential,
    key: &str,
    max_bytes: u64,
    now: chrono::DateTime<chrono::Utc>,
    expires: chrono::DateTime<chrono::Utc>,
) -> PostForm {
    use base64::Engine;
    let date = now.format("%Y%m%d").to_string();
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let scope = format!("{date}/{}/s3/aws4_request", target.region);
    let credential_field = format!("{}/{scope}", credential.key_id);
    let mut fields = vec![
        ("key".to_string(), key.to_string()),
        ("x-amz-algorithm".into(), "AWS4-HMAC-SHA256".into()),
        ("x-amz-credential".into(), credential_field),
        ("x-amz-date".into(), amz_date),
    ];
    if let Some(token) = &credential.token {
        fields.push(("x-amz-security-token".into(), token.clone()));
    }
    let mut conditions = vec![
        serde_json::json!({ "bucket": bucket }),
        serde_json::json!(["content-length-range", 1, max_bytes]),
    ];
    conditions.extend(fields.iter().map(|(k, v)| serde_json::json!({ k: v })));
    let policy = serde_json::json!({
        "expiration": expires.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "conditions": conditions,
    });
    let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
    let signature = hex::encode(hmac(
        &signing_key(&credential.secret_key, &date, &target.region),
        policy.as_bytes(),
    ));
    fields.push(("policy".into(), policy));
    fields.push(("x-amz-signature".into(), signature));
    PostForm {
        url: target.url.clone(),
        fields,
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    hmac_sha256::sign(key, &[data])
}

/// SigV4's derived key for S3 in `region` on `date` (YYYYMMDD).
fn signing_key(secret: &str, date: &str, region: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, b"s3");
    hmac(&k_service, b"aws4_request")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_derived_key_matches_awss_published_example() {
        // "Examples of how to derive a signing key for Signature Version 4"
        // (AWS docs), with the service set to iam as there.
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let k_date = hmac(format!("AWS4{secret}").as_bytes(), b"20120215");
        let k_region = hmac(&k_date, b"us-east-1");
        let k_service = hmac(&k_region, b"iam");
        let k_signing = hmac(&k_service, b"aws4_request");
        assert_eq!(
            hex::encode(k_signing),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    fn example() -> PostForm {
        let target = PostTarget {
            url: "http://127.0.0.1:9000/bucket".into(),
            region: "eu-west-1".into(),
        };
        let credential = AwsCredential {
            key_id: "AKIDEXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            token: None,
        };
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).unwrap();
        presigned_post(
            &target,
            "bucket",
            &credential,
            "lora-datasets/a/b/upload/data.jsonl",
            1000,
            now,
            now + chrono::Duration::hours(1),
        )
    }

    fn field<'a>(form: &'a PostForm, name: &str) -> &'a str {
        &form.fields.iter().find(|(k, _)| k == name).unwrap().1
    }

    #[test]
    fn the_policy_pins_the_key_the_size_range_and_the_expiry() {
        use base64::Engine;
        let form = example();
        let policy: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(field(&form, "policy"))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(policy["expiration"], "2026-12-05T11:00:00.000Z");
        let conditions = policy["conditions"].as_array().unwrap();
        assert!(conditions.contains(&serde_json::json!(["content-length-range", 1, 1000])));
        assert!(conditions.contains(&serde_json::json!({ "bucket": "bucket" })));
        assert!(
            conditions
                .contains(&serde_json::json!({ "key": "lora-datasets/a/b/upload/data.jsonl" }))
        );
        assert_eq!(
            field(&form, "x-amz-credential"),
            "AKIDEXAMPLE/20261205/eu-west-1/s3/aws4_request"
        );
        assert_eq!(field(&form, "x-amz-date"), "20261205T100000Z");
        // The signature field comes last but one: the file goes after all.
        assert_eq!(form.fields.last().unwrap().0, "x-amz-signature");
    }

    #[test]
    fn the_signature_matches_botocores_for_the_same_policy() {
        // botocore's S3SigV4PostAuth.signature() over this base64 policy, for
        // 2026-12-05 in eu-west-1 with the key below (computed once with
        // botocore 1.x and kept as a test vector).
        let policy = "eyJleHBpcmF0aW9uIjoiMjAyNi0xMi0wNVQxMTowMDowMC4wMDBaIn0=";
        let signature = hex::encode(hmac(
            &signing_key(
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                "20261205",
                "eu-west-1",
            ),
            policy.as_bytes(),
        ));
        assert_eq!(
            signature,
            "08f46be445ff835e7abc2a78600205cfab685b034f232651dabc4911d0b24e83"
        );
    }

    #[test]
    fn a_session_token_is_a_field_and_a_condition() {
        let target = PostTarget {
            url: "https://b.s3.us-east-1.amazonaws.com".into(),
            region: "us-east-1".into(),
        };
        let credential = AwsCredential {
            key_id: "K".into(),
            secret_key: "S".into(),
            token: Some("T0KEN".into()),
        };
        let now = chrono::Utc::now();
        let form = presigned_post(&target, "b", &credential, "k", 5, now, now);
        assert_eq!(field(&form, "x-amz-security-token"), "T0KEN");
        use base64::Engine;
        let policy = String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(field(&form, "policy"))
                .unwrap(),
        )
        .unwrap();
        assert!(policy.contains(r#"{"x-amz-security-token":"T0KEN"}"#));
    }
}

//! The cross-shell pricing cases (`examples/pricing/cases/`) through REST: `POST /v1/pricing`
//! answers each input with the error code every other shell gives, or with exactly the bytes of
//! the priced cart the core wrote.

mod common;

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::Request;
use common::harness;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/pricing/cases")
}

#[tokio::test]
async fn post_pricing_gives_each_case_the_same_code_or_bytes() {
    let h = harness().await;
    let dir = cases_dir();
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    let cases = manifest.as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let input = std::fs::read(dir.join(case["input"].as_str().unwrap())).unwrap();
        let request = Request::post("/v1/pricing")
            .header("content-type", "application/json")
            .body(Body::from(input))
            .unwrap();
        let response = h.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        if let Some(code) = case["code"].as_str() {
            let body: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(body["code"], code, "{name}: {body}");
            let table = merx_core::ErrorCode::from_code(code).unwrap();
            assert_eq!(status.as_u16(), table.http_status(), "{name}");
        } else {
            assert_eq!(
                status.as_u16(),
                200,
                "{name}: {}",
                String::from_utf8_lossy(&bytes)
            );
            let priced = std::fs::read(dir.join(case["priced"].as_str().unwrap())).unwrap();
            assert!(
                bytes.as_ref() == priced.as_slice(),
                "{name}: the server's bytes differ from the core's:\n{}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
}

#[test]
fn dump() {
    let doc = merx_server::openapi::document();
    std::fs::write("/tmp/dump/openapi.json", serde_json::to_string_pretty(&doc).unwrap()).unwrap();
}

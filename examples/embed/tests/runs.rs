//! The embedding example, run as a user runs it: on a fresh SQLite file it must take an order
//! from catalog to delivery and find it again after reopening the file.

use std::process::Command;

#[test]
fn the_example_takes_an_order_to_delivery_and_reopens_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("shop.db").display());
    let output = Command::new(env!("CARGO_BIN_EXE_merx-embed"))
        .arg(&url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "merx-embed failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("is delivered (payment captured)"),
        "{stdout}"
    );
    assert!(stdout.contains("reopened: order"), "{stdout}");
    assert!(dir.path().join("shop.db").exists());
}

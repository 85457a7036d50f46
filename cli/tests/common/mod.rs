//! Shared set-up: a temp SQLite file and a `merx` command pointed at it.

#![allow(dead_code)]

use std::path::PathBuf;

use assert_cmd::Command;
use tempfile::TempDir;

/// A temporary directory holding one SQLite database.
pub struct Shop {
    pub dir: TempDir,
    pub url: String,
}

impl Shop {
    pub fn new() -> Shop {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("merx.db").display());
        Shop { dir, url }
    }

    /// `merx --database-url <this shop>` run in the temp directory, with no MERX_* variables
    /// inherited (set on the child only; the test process's environment is never touched).
    pub fn merx(&self) -> Command {
        let mut command = self.bare();
        command.arg("--database-url").arg(&self.url);
        command
    }

    /// `merx` in the temp directory without `--database-url`.
    pub fn bare(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_merx"));
        command
            .current_dir(self.dir.path())
            .env_remove("MERX_DATABASE_URL")
            .env_remove("MERX_JWT_SECRET")
            .env_remove("MERX_USER_PASSWORD")
            .env_remove("RUST_LOG");
        command
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write fixture");
        path
    }

    /// Runs `merx --json ARGS` and parses its stdout.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let output = self
            .merx()
            .arg("--json")
            .args(args)
            .output()
            .expect("run merx");
        assert!(
            output.status.success(),
            "merx {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("JSON on stdout")
    }

    /// Creates an active product with one variant and returns its JSON.
    pub fn product(&self, name: &str, sku: &str, price: &str, stock: &str) -> serde_json::Value {
        self.json(&[
            "products", "create", "--name", name, "--sku", sku, "--price", price, "--stock", stock,
            "--status", "active",
        ])
    }
}

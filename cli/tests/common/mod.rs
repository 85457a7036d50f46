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
            .env_remove("MERX_CONFIG")
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

/// A one-route HTTP receiver on a free port that answers 200 to every request and keeps
/// `(headers, body)` of each, for webhook tests.
pub struct Receiver {
    pub url: String,
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

impl Receiver {
    pub fn start() -> Receiver {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(value) = lower.strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                    head.push_str(&lower);
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                seen.lock()
                    .unwrap()
                    .push((head, String::from_utf8_lossy(&body).into_owned()));
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            }
        });
        Receiver { url, requests }
    }

    /// The JSON bodies received so far.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|(_, body)| serde_json::from_str(body).expect("a JSON body"))
            .collect()
    }
}

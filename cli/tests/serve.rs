//! `merx serve`: the real binary on a free port, asked over HTTP, stopped with SIGTERM.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::Shop;

/// Kills the server if a test fails before stopping it.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 exchange; returns the raw response (status line, headers, body).
fn request(address: &str, method: &str, path: &str, headers: &[&str], body: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    if !body.is_empty() {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    write!(stream, "{head}\r\n{body}").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn get(address: &str, path: &str) -> String {
    request(address, "GET", path, &[], "")
}

/// The JSON body of a response.
fn body(response: &str) -> serde_json::Value {
    let (_, body) = response.split_once("\r\n\r\n").expect("a body");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"))
}

/// Starts `merx serve` on port 0 and returns the lines it printed before listening.
fn start(shop: &Shop, extra: &[&str]) -> (Server, Vec<String>, String) {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_merx"))
        .current_dir(shop.dir.path())
        .env_remove("MERX_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .args([
            "--database-url",
            &shop.url,
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn merx serve");
    let mut server = Server(child);
    let mut stdout = BufReader::new(server.0.stdout.take().unwrap());
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "merx serve did not start");
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "merx serve exited: {lines:?}"
        );
        let line = line.trim_end().to_string();
        if let Some(address) = line.strip_prefix("listening on http://") {
            let address = address.to_string();
            return (server, lines, address);
        }
        lines.push(line);
    }
}

#[cfg(unix)]
fn terminate(server: &mut Server) -> std::process::ExitStatus {
    let pid = server.0.id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    server.0.wait().unwrap()
}

/// Runs the README quickstart's token filter (what follows the login `curl` in
/// `TOKEN=$(curl ... | FILTER)`) over `login`, the login answer, as a shell would.
fn readme_token_filter(login: &str) -> String {
    const README: &str = include_str!("../../README.md");
    let start = README
        .find("TOKEN=$(curl")
        .expect("the quickstart's TOKEN line");
    let command = &README[start..];
    let command = &command[..command.find(")\n").expect("the end of TOKEN=$(...)")];
    let filter = command
        .rsplit_once(" | ")
        .expect("a filter after the curl")
        .1;
    let mut shell = std::process::Command::new("sh")
        .args(["-c", filter])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh runs");
    shell
        .stdin
        .take()
        .unwrap()
        .write_all(login.as_bytes())
        .unwrap();
    let output = shell.wait_with_output().unwrap();
    assert!(output.status.success(), "`{filter}` failed: {output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .trim_end()
        .to_string()
}

#[test]
fn serve_demo_loads_the_shop_once_and_answers_http() {
    let shop = Shop::new();
    let (mut server, lines, address) = start(&shop, &["--demo"]);
    assert_eq!(
        lines,
        [
            "demo data loaded: 307 products, 80 customers, 600 orders, coupon WELCOME10, \
          admin admin@merx.example"
        ]
    );
    let health = get(&address, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("{\"status\":\"ok\"}"), "{health}");
    let products = get(&address, "/v1/products?limit=1");
    assert!(products.contains("\"total\":307"), "{products}");

    // The README's quickstart calls, with the answers it promises.
    let search = body(&get(&address, "/v1/products?q=speckled+mug&limit=3"));
    assert_eq!(search["total"], 4);
    assert_eq!(search["data"][0]["name"], "Speckled mug");
    let login = body(&request(
        &address,
        "POST",
        "/v1/users/login",
        &[],
        r#"{"email":"customer001@example.com","password":"merx-customer-2026"}"#,
    ));
    let token = login["accessToken"].as_str().unwrap();
    assert_eq!(readme_token_filter(&login.to_string()), token);
    let bearer = format!("Authorization: Bearer {token}");
    let for_you = body(&request(
        &address,
        "GET",
        "/v1/recommendations/for-you?k=3",
        &[&bearer],
        "",
    ));
    let items = for_you["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["source"], "collaborative", "{for_you}");
    assert!(!items[0]["because"].as_array().unwrap().is_empty());
    let orders = body(&request(
        &address,
        "GET",
        "/v1/orders?limit=1",
        &[&bearer],
        "",
    ));
    assert!(orders["total"].as_u64().unwrap() > 0);
    assert_eq!(orders["data"][0]["email"], "customer001@example.com");
    #[cfg(unix)]
    assert!(
        terminate(&mut server).success(),
        "graceful shutdown exits 0"
    );
    drop(server);

    // The data is in the SQLite file: a second start with --demo does not load it again.
    let (server, lines, address) = start(&shop, &["--demo"]);
    assert_eq!(
        lines,
        ["demo data not loaded: the catalog already has products"]
    );
    assert!(get(&address, "/v1/products?limit=1").contains("\"total\":307"));
    drop(server);
}

#[test]
fn serve_reports_a_short_jwt_secret_as_bad_input() {
    let shop = Shop::new();
    shop.merx()
        .args(["serve", "--jwt-secret", "short"])
        .assert()
        .code(2)
        .stderr(predicates::str::ends_with(
            "error: --jwt-secret (MERX_JWT_SECRET) must be at least 32 bytes\n",
        ));
}

#[test]
fn serve_flags_set_currency_cors_and_limits() {
    let shop = Shop::new();
    let (server, _, address) = start(
        &shop,
        &[
            "--currency",
            "EUR",
            "--cors-origin",
            "https://shop.example.com",
            "--rate-limit",
            "0",
            "--log",
            "warn",
        ],
    );
    let cart = get(&address, "/v1/cart");
    assert!(cart.contains("\"currency\":\"EUR\""), "{cart}");
    let mut stream = TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "OPTIONS /v1/products HTTP/1.1\r\nHost: {address}\r\nOrigin: https://shop.example.com\r\n\
         Access-Control-Request-Method: GET\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut preflight = String::new();
    stream.read_to_string(&mut preflight).unwrap();
    assert!(
        preflight
            .to_ascii_lowercase()
            .contains("access-control-allow-origin: https://shop.example.com"),
        "{preflight}"
    );
    // Rate limiting is off: far more than the default burst of 100 all succeed.
    for _ in 0..150 {
        assert!(get(&address, "/healthz").starts_with("HTTP/1.1 200"));
    }
    drop(server);
}

#[test]
fn serve_refuses_bad_flags_before_listening() {
    let shop = Shop::new();
    for (args, message) in [
        (
            vec!["--currency", "XYZ"],
            "error: --currency: unknown currency `XYZ`\n",
        ),
        (
            vec!["--cors-origin", "shop.example.com"],
            "error: --cors-origin `shop.example.com` is not an origin like https://shop.example.com\n",
        ),
        (
            vec!["--cors-origin", "*", "--cors-origin", "https://a.example"],
            "error: --cors-origin '*' allows every origin: give it alone\n",
        ),
        (
            vec!["--log", "info,[bad"],
            "error: --log `info,[bad`: invalid filter directive\n",
        ),
        (
            vec!["--body-limit", "10"],
            "error: invalid value '10' for '--body-limit <BODY_LIMIT>': 10 is not in 1024..=67108864 (see `merx --help`)\n",
        ),
    ] {
        shop.merx()
            .arg("serve")
            .args(&args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicates::str::ends_with(message));
    }
}

#[test]
fn serve_relays_events_to_a_webhook_while_it_runs() {
    let shop = Shop::new();
    let receiver = common::Receiver::start();
    let (server, lines, _) = start(
        &shop,
        &[
            "--demo",
            "--catalog-only",
            "--webhook-url",
            &receiver.url,
            "--webhook-secret",
            "whsec-0123456789abcdef",
            "--webhook-events",
            "UserRegistered,ProductChanged",
            "--relay-interval-ms",
            "50",
        ],
    );
    assert!(lines[0].starts_with("demo data loaded: 30 products"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while receiver.events().len() < 31 {
        assert!(
            Instant::now() < deadline,
            "only {} events arrived",
            receiver.events().len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let events = receiver.events();
    assert_eq!(events[0]["payload"]["type"], "UserRegistered");
    assert_eq!(events[0]["payload"]["email"], "admin@merx.example");
    assert!(events[1..]
        .iter()
        .all(|e| e["payload"]["type"] == "ProductChanged"));
    let sequences: Vec<u64> = events
        .iter()
        .map(|e| e["sequence"].as_u64().unwrap())
        .collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "in outbox order");
    drop(server);
}

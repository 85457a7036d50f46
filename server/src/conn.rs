//! The answers hyper writes on its own, below the router, in the API's error format.
//!
//! hyper refuses a request whose target is longer than 64 KiB (a constant servers cannot change)
//! with a bare `414`, and a malformed request head with a bare `400`: no body and no
//! `x-request-id`, written before any layer of the router runs. The router's own URI limit
//! ([`crate::middleware::MAX_URI_BYTES`]) is far lower, so only requests that no client of the
//! API builds get this far; they must still get the `{"code", "message"}` body and a request id
//! to quote, like every other error. hyper has no hook for these answers, so the served stream is
//! wrapped and such a head is replaced as it is written. It is recognised by its status and by
//! lacking the `x-request-id` that every response of the router carries; hyper closes the
//! connection after it, so nothing else is ever written behind it.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use merx_core::{ErrorBody, ErrorCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A TCP listener whose connections rewrite hyper's bare error answers.
#[derive(Debug)]
pub(crate) struct ApiErrorListener(pub(crate) TcpListener);

impl axum::serve::Listener for ApiErrorListener {
    type Io = ApiErrorHeads<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = axum::serve::Listener::accept(&mut self.0).await;
        (ApiErrorHeads::new(io), addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A connection's stream, passing everything through except a bare error head from hyper, which
/// it replaces with the API's error response.
#[derive(Debug)]
pub(crate) struct ApiErrorHeads<IO> {
    io: IO,
    replacing: Option<Replacement>,
}

#[derive(Debug)]
struct Replacement {
    bytes: Vec<u8>,
    written: usize,
    /// How many of hyper's bytes it stands for, reported as written once it is all out.
    stands_for: usize,
}

impl<IO> ApiErrorHeads<IO> {
    pub(crate) fn new(io: IO) -> Self {
        ApiErrorHeads {
            io,
            replacing: None,
        }
    }
}

impl<IO: AsyncWrite + Unpin> ApiErrorHeads<IO> {
    /// Writes the pending replacement; `Ready(Ok(n))` with hyper's byte count when it is out.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let Some(replacement) = self.replacing.as_mut() else {
            return Poll::Ready(Ok(0));
        };
        while replacement.written < replacement.bytes.len() {
            let rest = &replacement.bytes[replacement.written..];
            match ready!(Pin::new(&mut self.io).poll_write(cx, rest)) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => replacement.written += n,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        let stands_for = replacement.stands_for;
        self.replacing = None;
        Poll::Ready(Ok(stands_for))
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for ApiErrorHeads<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for ApiErrorHeads<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.replacing.is_none() {
            match api_error_for_bare_head(buf) {
                Some(bytes) => {
                    this.replacing = Some(Replacement {
                        bytes,
                        written: 0,
                        stands_for: buf.len(),
                    })
                }
                None => return Pin::new(&mut this.io).poll_write(cx, buf),
            }
        }
        this.poll_replacement(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.replacing.is_none() {
            // hyper's own error answer is a head alone, so it comes as a single slice.
            let mut filled = bufs.iter().filter(|b| !b.is_empty());
            let only = match (filled.next(), filled.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            };
            match only.and_then(|head| api_error_for_bare_head(head)) {
                Some(bytes) => {
                    this.replacing = Some(Replacement {
                        bytes,
                        written: 0,
                        stands_for: only.map_or(0, |head| head.len()),
                    })
                }
                None => return Pin::new(&mut this.io).poll_write_vectored(cx, bufs),
            }
        }
        this.poll_replacement(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The API's answer in place of `head`, when `head` is one of hyper's bare error answers.
fn api_error_for_bare_head(head: &[u8]) -> Option<Vec<u8>> {
    let code = match head.get(..13)? {
        b"HTTP/1.1 414 " | b"HTTP/1.0 414 " => ErrorCode::UriTooLong,
        b"HTTP/1.1 400 " | b"HTTP/1.0 400 " => ErrorCode::MalformedRequest,
        _ => return None,
    };
    let head = std::str::from_utf8(head.strip_suffix(b"\r\n\r\n")?).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut kept = Vec::new();
    for line in lines {
        let (name, _) = line.split_once(':')?;
        let name = name.trim();
        if name.eq_ignore_ascii_case("x-request-id") {
            // The router answered this one itself.
            return None;
        }
        let replaced = [
            "content-length",
            "content-type",
            "transfer-encoding",
            "connection",
        ]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h));
        if !replaced {
            kept.push(line);
        }
    }
    let request_id = uuid::Uuid::new_v4().to_string();
    tracing::info!(
        request_id = %request_id,
        status = code.http_status(),
        code = %code,
        "request refused by the HTTP layer before routing"
    );
    let body = serde_json::to_vec(&ErrorBody {
        code,
        message: code.description().to_string(),
        details: None,
    })
    .ok()?;
    let mut out = Vec::with_capacity(head.len() + body.len() + 160);
    out.extend_from_slice(status_line.as_bytes());
    out.extend_from_slice(b"\r\n");
    for line in kept {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(
        format!(
            "content-type: application/json\r\ncontent-length: {}\r\nx-request-id: {request_id}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&body);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    fn split(response: &[u8]) -> (String, serde_json::Value) {
        let text = String::from_utf8(response.to_vec()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        (head.to_string(), serde_json::from_str(body).unwrap())
    }

    #[test]
    fn hypers_bare_414_and_400_get_the_error_body_and_a_request_id() {
        let bare = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: Tue, 01 Dec 2026 10:00:00 GMT\r\n\r\n";
        let (head, body) = split(&api_error_for_bare_head(bare).unwrap());
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{head}");
        assert!(head.contains("\r\ndate: Tue, 01 Dec 2026"));
        assert!(head.contains("\r\ncontent-type: application/json"));
        assert!(head.contains("\r\nx-request-id: "));
        assert!(!head.contains("content-length: 0"));
        assert_eq!(body["code"], "uri_too_long");
        assert!(body["message"].is_string());

        let bare = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
        let (_, body) = split(&api_error_for_bare_head(bare).unwrap());
        assert_eq!(body["code"], "malformed_request");
    }

    #[test]
    fn the_routers_own_answers_and_other_bytes_pass_untouched() {
        for passing in [
            &b"HTTP/1.1 414 URI Too Long\r\nx-request-id: abc\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\nx-request-id: abc\r\ncontent-length: 2\r\n\r\n{}",
            b"{\"name\":\"HTTP/1.1 414 \"}",
            b"",
        ] {
            assert!(api_error_for_bare_head(passing).is_none());
        }
    }

    #[tokio::test]
    async fn the_stream_reports_hypers_length_and_sends_the_replacement() {
        let (client, server) = tokio::io::duplex(64);
        let mut wrapped = ApiErrorHeads::new(client);
        let bare = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\n\r\n";
        let reader = tokio::spawn(async move {
            let mut server = server;
            let mut out = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut server, &mut out)
                .await
                .unwrap();
            out
        });
        // A duplex of 64 bytes forces the replacement out in several partial writes.
        let n = std::future::poll_fn(|cx| Pin::new(&mut wrapped).poll_write(cx, bare))
            .await
            .unwrap();
        assert_eq!(n, bare.len());
        wrapped.write_all(b"").await.unwrap();
        wrapped.shutdown().await.unwrap();
        drop(wrapped);
        let (head, body) = split(&reader.await.unwrap());
        assert!(head.starts_with("HTTP/1.1 414 "));
        assert_eq!(body["code"], "uri_too_long");
    }
}

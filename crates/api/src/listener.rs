//! The API's TCP listener: every connection's first request head is read
//! and checked here before hyper sees it, so that a request hyper would
//! answer with a bare status line (a malformed request line or header, too
//! many headers, a head over the size limit) gets a problem+json body like
//! every other error of the API.
//!
//! The head is parsed with `httparse` (the parser hyper itself uses) with
//! hyper's own limits — at most [`MAX_HEADERS`] headers — and a head limit
//! of [`MAX_HEAD`] bytes, so a head accepted here is accepted by hyper.
//! Accepted connections are handed to `axum::serve` with the bytes already
//! read replayed in front of the socket ([`Prefixed`]); refused ones are
//! answered and closed here. A client that sends no complete head within
//! [`HEAD_TIMEOUT`] is dropped (slow-loris). Later requests on a kept-alive
//! connection are parsed by hyper alone: a client that has sent one
//! well-formed request and then a malformed one gets hyper's bare answer.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Most headers a request may carry (hyper's default).
pub const MAX_HEADERS: usize = 100;
/// Largest request head (request line and headers), in bytes.
pub const MAX_HEAD: usize = 64 * 1024;
/// How long a client has to send its first request head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long, and for how many bytes, a refused connection's remaining
/// input is drained before it is closed.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: u64 = 1 << 20;
/// Connections checked and waiting for the server to accept them.
const QUEUE: usize = 1024;

/// A listener for `axum::serve` that checks each connection's first
/// request head (see the module docs).
pub struct CheckedListener {
    accepted: mpsc::Receiver<(Prefixed, SocketAddr)>,
    local: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl CheckedListener {
    /// Starts accepting on `listener`.
    pub fn new(listener: TcpListener) -> io::Result<Self> {
        let local = listener.local_addr()?;
        let (tx, accepted) = mpsc::channel(QUEUE);
        let task = tokio::spawn(accept_loop(listener, tx));
        Ok(Self {
            accepted,
            local,
            task,
        })
    }
}

impl Drop for CheckedListener {
    fn drop(&mut self) {
        // Closes the socket: a restarted node binds the same port.
        self.task.abort();
    }
}

impl axum::serve::Listener for CheckedListener {
    type Io = Prefixed;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.accepted.recv().await {
            Some(conn) => conn,
            // The accept loop only ends when the listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

async fn accept_loop(listener: TcpListener, tx: mpsc::Sender<(Prefixed, SocketAddr)>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                // Out of file descriptors and the like: wait, then go on.
                tracing::warn!(error = %e, "API accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let tx = tx.clone();
        tokio::spawn(async move {
            if let Ok(Some(io)) = tokio::time::timeout(HEAD_TIMEOUT, check_head(stream)).await {
                let _ = tx.send((io, peer)).await;
            }
        });
    }
}

/// Reads until the first request head is complete. Returns the connection
/// to serve, or `None` when it was answered here or closed by the client.
async fn check_head(mut stream: TcpStream) -> Option<Prefixed> {
    let mut head = Vec::with_capacity(1024);
    loop {
        let verdict = {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut request = httparse::Request::new(&mut headers);
            request.parse(&head)
        };
        match verdict {
            Ok(httparse::Status::Complete(_)) => {
                return Some(Prefixed {
                    prefix: head,
                    read: 0,
                    inner: stream,
                })
            }
            Ok(httparse::Status::Partial) if head.len() >= MAX_HEAD => {
                refuse(
                    &mut stream,
                    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "too-large",
                    "Request head too large",
                    &format!("the request line and headers exceed {MAX_HEAD} bytes"),
                )
                .await;
                return None;
            }
            Ok(httparse::Status::Partial) => {}
            Err(httparse::Error::TooManyHeaders) => {
                refuse(
                    &mut stream,
                    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "too-many-headers",
                    "Too many headers",
                    &format!("a request carries at most {MAX_HEADERS} headers"),
                )
                .await;
                return None;
            }
            Err(e) => {
                refuse(
                    &mut stream,
                    StatusCode::BAD_REQUEST,
                    "malformed-request",
                    "Malformed request",
                    &format!("the request line or a header does not parse as HTTP/1.1: {e}"),
                )
                .await;
                return None;
            }
        }
        let room = MAX_HEAD.saturating_sub(head.len()).max(1);
        let mut chunk = (&mut stream).take(u64::try_from(room).unwrap_or(u64::MAX));
        match chunk.read_buf(&mut head).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Answers with a problem+json body and closes the connection.
async fn refuse(stream: &mut TcpStream, status: StatusCode, code: &str, title: &str, detail: &str) {
    let body = crate::problem_body(status, code, title, detail);
    let response = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len(),
    );
    tracing::debug!(
        status = status.as_u16(),
        code,
        "refused a malformed request head"
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
    // Lingering close: closing with unread input would reset the
    // connection and could discard the answer before the client reads it,
    // so what the client is still sending is read and dropped for a moment.
    let mut sink = tokio::io::sink();
    let _ = tokio::time::timeout(
        LINGER,
        tokio::io::copy(&mut (&mut *stream).take(LINGER_BYTES), &mut sink),
    )
    .await;
}

/// A connection whose first bytes were already read: they are replayed
/// before the socket's.
pub struct Prefixed {
    prefix: Vec<u8>,
    read: usize,
    inner: TcpStream,
}

impl AsyncRead for Prefixed {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(rest) = this.prefix.get(this.read..).filter(|r| !r.is_empty()) {
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.read += n;
            if this.read == this.prefix.len() {
                this.prefix = Vec::new();
                this.read = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

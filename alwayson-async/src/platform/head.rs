//! The first HTTP request head of a connection, read before hyper sees the connection.
//!
//! hyper allocates its read and write buffers (8 KiB each) and its connection state as
//! soon as it is handed a connection. A peer that sends half a request and stops (the
//! half-sent upgrade attack, issue 10) would hold all of that until the header timeout. So
//! the platform first reads the head itself into a small buffer that grows only with what
//! the peer sent, and hands hyper the connection with those bytes in front
//! ([`Prefixed`]) once the head is complete.

use futures_io::{AsyncRead, AsyncWrite};
use futures_util::{AsyncReadExt, AsyncWriteExt};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Longest request head read before hyper (an upgrade request is a few hundred bytes; a
/// REST request with cookies a few KiB). A longer one is answered 431 and closed.
pub(crate) const MAX_HEAD: usize = 16 * 1024;
/// The first read; reads then double up to [`MAX_HEAD`].
const FIRST_READ: usize = 1024;

/// How reading the first request head ended.
#[derive(Debug)]
pub(crate) enum Head {
    /// A complete head (and whatever followed it in the same reads).
    Complete(Vec<u8>),
    /// The peer closed (or the read failed) before the head was complete.
    Closed,
    /// [`MAX_HEAD`] bytes without the end of a head: answered 431.
    TooLarge,
}

/// Reads until the buffer holds a complete request head: an empty line (`\r\n\r\n`, or a
/// bare `\n\n` as httparse accepts). Bytes after it stay in the buffer.
pub(crate) async fn read_head<T: AsyncRead + AsyncWrite + Unpin>(io: &mut T) -> Head {
    let mut buf = Vec::new();
    let mut scanned = 0;
    loop {
        let len = buf.len();
        if len >= MAX_HEAD {
            let _ = io.write_all(TOO_LARGE).await;
            let _ = io.flush().await;
            return Head::TooLarge;
        }
        let want = len.max(FIRST_READ).min(MAX_HEAD - len);
        buf.resize(len + want, 0);
        let n = match io.read(&mut buf[len..]).await {
            Ok(0) | Err(_) => return Head::Closed,
            Ok(n) => n,
        };
        buf.truncate(len + n);
        if head_end(&buf, scanned).is_some() {
            return Head::Complete(buf);
        }
        // An empty line may straddle two reads: look again from the last two bytes. Until
        // the next read, hold only what arrived (a half-sent head may be held long).
        scanned = buf.len().saturating_sub(2);
        buf.shrink_to_fit();
    }
}

/// The end of the first empty line in `buf` at or after `from`.
fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(off) = buf.get(i..)?.iter().position(|&b| b == b'\n') {
        let nl = i + off;
        match buf.get(nl + 1) {
            Some(b'\n') => return Some(nl + 2),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some(nl + 3),
            _ => i = nl + 1,
        }
    }
    None
}

/// The answer to a head over [`MAX_HEAD`] (JSON, like the HTTP layer's other errors).
const TOO_LARGE: &[u8] = b"HTTP/1.1 431 Request Header Fields Too Large\r\n\
Content-Type: application/json\r\nContent-Length: 34\r\nConnection: close\r\n\r\n\
{\"error\":\"request head too large\"}";

/// A stream whose first reads return `prefix` (bytes already read from it).
pub(crate) struct Prefixed<T> {
    prefix: Vec<u8>,
    /// How much of `prefix` was read.
    pos: usize,
    inner: T,
}

impl<T> Prefixed<T> {
    pub(crate) fn new(prefix: Vec<u8>, inner: T) -> Self {
        Self {
            prefix,
            pos: 0,
            inner,
        }
    }

    /// The stream, and the part of the prefix not read yet.
    pub(crate) fn into_parts(mut self) -> (Vec<u8>, T) {
        self.prefix.drain(..self.pos);
        (self.prefix, self.inner)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Prefixed<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pos < this.prefix.len() {
            let rest = &this.prefix[this.pos..];
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            this.pos += n;
            if this.pos == this.prefix.len() {
                // All read: free it now rather than with the connection.
                this.prefix = Vec::new();
                this.pos = 0;
            }
            return Poll::Ready(Ok(n));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Prefixed<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::io::Cursor;
    use futures_util::FutureExt;

    /// Every future here is ready at once (in-memory streams).
    fn now<F: std::future::Future>(f: F) -> F::Output {
        f.now_or_never().expect("ready at once")
    }

    /// A peer that sends `chunks` one read at a time, then ends; what is written to it.
    struct Peer {
        chunks: std::collections::VecDeque<Vec<u8>>,
        written: Vec<u8>,
    }

    impl Peer {
        fn new(chunks: &[&[u8]]) -> Self {
            Self {
                chunks: chunks.iter().map(|c| c.to_vec()).collect(),
                written: Vec::new(),
            }
        }
    }

    impl AsyncRead for Peer {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            let Some(mut chunk) = self.chunks.pop_front() else {
                return Poll::Ready(Ok(0));
            };
            let n = chunk.len().min(buf.len());
            buf[..n].copy_from_slice(&chunk[..n]);
            if n < chunk.len() {
                self.chunks.push_front(chunk.split_off(n));
            }
            Poll::Ready(Ok(n))
        }
    }

    impl AsyncWrite for Peer {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.written.extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    fn read(chunks: &[&[u8]]) -> (Head, Vec<u8>) {
        let mut peer = Peer::new(chunks);
        let head = now(read_head(&mut peer));
        (head, peer.written)
    }

    #[test]
    fn a_head_split_across_reads_is_complete_with_what_follows() {
        let (head, _) = read(&[b"GET / HTTP/1.1\r\nHost: a\r", b"\n\r", b"\nBODY"]);
        match head {
            Head::Complete(buf) => assert_eq!(buf, b"GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY"),
            other => panic!("{other:?}"),
        }
        let (head, _) = read(&[b"GET / HTTP/1.1\nHost: a\n\n"]);
        assert!(matches!(head, Head::Complete(_)));
    }

    #[test]
    fn a_half_sent_head_is_not_complete() {
        let half: &[u8] = b"GET /Thingworx/WS HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n";
        assert!(matches!(read(&[half]).0, Head::Closed));
        assert_eq!(head_end(half, 0), None);
        assert_eq!(head_end(b"a\r\n\r\nb", 0), Some(5));
        assert_eq!(head_end(b"a\n\nb", 0), Some(3));
    }

    #[test]
    fn a_head_over_the_limit_is_answered_431() {
        let line = vec![b'x'; 1000];
        let chunks: Vec<&[u8]> = (0..20).map(|_| line.as_slice()).collect();
        let (head, written) = read(&chunks);
        assert!(matches!(head, Head::TooLarge));
        let text = String::from_utf8(written).expect("ASCII");
        let (head, body) = text.split_once("\r\n\r\n").expect("a head");
        assert!(head.starts_with("HTTP/1.1 431 "));
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        assert_eq!(body, r#"{"error":"request head too large"}"#);
    }

    #[test]
    fn prefixed_reads_the_prefix_first_and_gives_back_the_rest() {
        let mut p = Prefixed::new(b"abcdef".to_vec(), Cursor::new(b"XYZ".to_vec()));
        let mut buf = [0u8; 4];
        let n = now(p.read(&mut buf)).expect("read");
        assert_eq!(&buf[..n], b"abcd");
        let (rest, mut inner) = p.into_parts();
        assert_eq!(rest, b"ef");
        let mut tail = Vec::new();
        now(inner.read_to_end(&mut tail)).expect("read");
        assert_eq!(tail, b"XYZ");

        let mut p = Prefixed::new(b"ab".to_vec(), Cursor::new(b"XYZ".to_vec()));
        let mut all = Vec::new();
        now(p.read_to_end(&mut all)).expect("read");
        assert_eq!(all, b"abXYZ");
    }
}

//! The [`Runtime`] trait: everything this crate needs from an executor.

use futures_io::{AsyncRead, AsyncWrite};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What an executor provides: task spawning, a timer and TCP sockets (as futures-io
/// streams). The websocket, TLS and HTTP layers above them are runtime-neutral and live in
/// this crate, so an adapter (`alwayson-tokio`, `alwayson-async-std`) is only this trait.
///
/// The methods take no `self`: a runtime is a type parameter (`EdgeClient<R>`), never a
/// value, as with one global executor per process.
pub trait Runtime: Send + Sync + 'static {
    /// A connected TCP stream.
    type TcpStream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// A listening TCP socket.
    type TcpListener: Send + Sync + 'static;

    /// Runs `future` to completion on its own task (detached).
    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Resolves at `deadline` (at once when it has passed).
    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + Send + 'static;

    /// Resolves `host` and connects to it, with `TCP_NODELAY` set.
    fn connect(host: &str, port: u16) -> impl Future<Output = io::Result<Self::TcpStream>> + Send;

    /// Binds a listener to `addr` (`"127.0.0.1:0"`, `"0.0.0.0:443"`, ...).
    fn bind(addr: &str) -> impl Future<Output = io::Result<Self::TcpListener>> + Send;

    /// The address the listener is bound to.
    fn local_addr(listener: &Self::TcpListener) -> io::Result<SocketAddr>;

    /// Accepts one connection (with `TCP_NODELAY` set).
    fn accept(
        listener: &Self::TcpListener,
    ) -> impl Future<Output = io::Result<(Self::TcpStream, SocketAddr)>> + Send + '_;
}

/// `now + d`, or `None` (never) when that overflows.
pub(crate) fn deadline_after(d: Duration) -> Option<Instant> {
    Instant::now().checked_add(d)
}

/// Resolves at `deadline`, never when it is `None`.
pub(crate) async fn sleep_until<R: Runtime>(deadline: Option<Instant>) {
    match deadline {
        Some(d) => R::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// `f`'s output, or `None` when `d` passes first.
pub(crate) async fn timeout<R: Runtime, F: Future>(d: Duration, f: F) -> Option<F::Output> {
    timeout_at::<R, F>(deadline_after(d), f).await
}

/// `f`'s output, or `None` when `deadline` passes first (never when it is `None`).
pub(crate) async fn timeout_at<R: Runtime, F: Future>(
    deadline: Option<Instant>,
    f: F,
) -> Option<F::Output> {
    let f = std::pin::pin!(f);
    let sleep = std::pin::pin!(sleep_until::<R>(deadline));
    match futures_util::future::select(f, sleep).await {
        futures_util::future::Either::Left((out, _)) => Some(out),
        futures_util::future::Either::Right(((), _)) => None,
    }
}

//! [`Tokio`]: the [`Runtime`] for tokio (tasks, timer, TCP sockets).

use alwayson_async::Runtime;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Instant;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

/// The tokio runtime: tasks go to `tokio::spawn` (so everything must run inside a tokio
/// runtime, with the `net` and `time` drivers enabled), sockets are tokio's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tokio;

impl Runtime for Tokio {
    type TcpStream = Compat<TcpStream>;
    type TcpListener = TcpListener;

    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(tokio::spawn(future));
    }

    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        tokio::time::sleep_until(deadline.into())
    }

    async fn connect(host: &str, port: u16) -> io::Result<Self::TcpStream> {
        let tcp = TcpStream::connect((host, port)).await?;
        let _ = tcp.set_nodelay(true);
        Ok(tcp.compat())
    }

    async fn bind(addr: &str) -> io::Result<Self::TcpListener> {
        TcpListener::bind(addr).await
    }

    fn local_addr(listener: &Self::TcpListener) -> io::Result<SocketAddr> {
        listener.local_addr()
    }

    async fn accept(listener: &Self::TcpListener) -> io::Result<(Self::TcpStream, SocketAddr)> {
        let (tcp, peer) = listener.accept().await?;
        let _ = tcp.set_nodelay(true);
        Ok((tcp.compat(), peer))
    }
}

/// Runs `future` to completion on a new single-threaded tokio runtime (`current_thread`
/// flavour, IO and timer drivers only) and returns its output: the client's tasks run on
/// the calling thread, no worker pool is started. For small edge devices; an application
/// that already runs tokio does not need it.
///
/// Name resolution of a host that is not an IP address still goes through tokio's
/// blocking pool (one extra thread while it resolves, gone after 10 s idle).
///
/// ```no_run
/// use alwayson_tokio::{EdgeClient, Thing};
///
/// fn main() -> Result<(), alwayson_tokio::Error> {
///     alwayson_tokio::block_on(async {
///         let edge = EdgeClient::builder("ws://127.0.0.1:8080/Thingworx/WS")
///             .app_key("my-app-key")
///             .thing(Thing::new("Pump1").property("temp", 21.5))
///             .connect()
///             .await?;
///         edge.shutdown().await;
///         Ok(())
///     })?
/// }
/// ```
pub fn block_on<F: Future>(future: F) -> io::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    Ok(runtime.block_on(future))
}

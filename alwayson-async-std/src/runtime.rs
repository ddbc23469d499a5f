//! [`AsyncStd`]: the [`Runtime`] for the async-std / smol ecosystem (async-io's reactor and
//! timers, async-net's sockets, async-global-executor's tasks).

use alwayson_async::Runtime;
use async_net::{TcpListener, TcpStream};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Instant;

/// The async-std / smol runtime: sockets from async-net and timers from async-io (one
/// reactor per process, driven by whichever executor polls it, or by async-io's own
/// thread), tasks on async-global-executor (the executor async-std's `task::spawn` uses;
/// under smol it runs beside smol's). Needs no runtime to be started first.
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncStd;

impl Runtime for AsyncStd {
    type TcpStream = TcpStream;
    type TcpListener = TcpListener;

    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        async_global_executor::spawn(future).detach();
    }

    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        let timer = async_io::Timer::at(deadline);
        async move {
            timer.await;
        }
    }

    async fn connect(host: &str, port: u16) -> io::Result<Self::TcpStream> {
        let tcp = TcpStream::connect((host, port)).await?;
        let _ = tcp.set_nodelay(true);
        Ok(tcp)
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
        Ok((tcp, peer))
    }
}

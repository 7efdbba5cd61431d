// tokio_churn: the pattern of tokio's rt_threaded::drop_threadpool_drops_futures
// test. Builds N (default 1,000) multi-thread runtimes with every driver
// enabled, one after another; each spawns a future that never finishes
// and is dropped. Each runtime makes an epoll instance and registers,
// among others, the signal driver's socket, which all runtimes share: the
// instances are closed without EPOLL_CTL_DEL. Built offline from Debian's
// librust-tokio-dev by scripts/apps-test.
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    for i in 0..n {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("runtime {}: {}", i, e));
        rt.spawn(std::future::pending::<()>());
        drop(rt);
    }
    println!("{} runtimes built and dropped", n);
}

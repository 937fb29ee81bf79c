//! `veil bench cluster --netns`: finality of a network laid out as it
//! would be deployed — each validator on its own host, packets between
//! hosts delayed — on one machine.
//!
//! Each validator runs in its own Linux network namespace (`ip netns`),
//! joined to the bench's namespace by a veth pair: validator `i` is
//! `10.213.i.2`, the bench's end of its link `10.213.i.1`. A namespace has
//! no route to any other, so every packet between validators crosses two
//! veth links and a *relay* in the bench's namespace: validator `i` knows
//! validator `j` at `10.213.i.1:(relay base + j)`, and the relay forwards
//! each UDP datagram to `10.213.j.2` (and the answers back), holding each
//! one for the configured one-way delay.
//!
//! The delay is applied in user space because this machine's kernel has
//! no queueing disciplines (`tc qdisc add … netem` answers "Specified
//! qdisc kind is unknown", as does every other qdisc); on a kernel with
//! `sch_netem`, `tc qdisc add dev <veth> root netem delay 10ms` on the
//! bench's end of each link is the same model. The relay adds well under a
//! millisecond at light load (measured at 0 ms configured delay).
//!
//! Requires root (namespaces and veth links are created and removed by
//! the bench) and iproute2's `ip`.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{ensure, Context};
use serde_json::json;

use crate::node_config::NodeFile;

use super::bench_cluster::{latency_json, light_phase, start_funded, ClusterArgs, Funded, Watcher};

/// The address block of the links: `10.213.i.0/24` for validator `i`.
const NET: u8 = 213;

/// The namespaces and veth links of one run; removed on drop.
pub(super) struct Namespaces {
    names: Vec<String>,
}

fn ip(args: &[&str]) -> anyhow::Result<()> {
    let out = std::process::Command::new("ip")
        .args(args)
        .output()
        .context("running `ip` (iproute2)")?;
    ensure!(
        out.status.success(),
        "`ip {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(())
}

impl Namespaces {
    /// Creates `n` namespaces, each linked to this one.
    pub(super) fn create(n: usize) -> anyhow::Result<Self> {
        let tag = std::process::id() % 100_000;
        let mut made = Self { names: Vec::new() };
        for i in 0..n {
            let name = format!("veil{tag}v{i}");
            let (outer, inner) = (format!("vb{tag}o{i}"), format!("vb{tag}i{i}"));
            ip(&["netns", "add", &name])?;
            made.names.push(name.clone());
            ip(&[
                "link", "add", &outer, "type", "veth", "peer", "name", &inner,
            ])?;
            ip(&["link", "set", &inner, "netns", &name])?;
            ip(&["addr", "add", &format!("10.{NET}.{i}.1/24"), "dev", &outer])?;
            ip(&["link", "set", &outer, "up"])?;
            let inside = |args: &[&str]| {
                let mut all = vec!["netns", "exec", name.as_str(), "ip"];
                all.extend_from_slice(args);
                ip(&all)
            };
            inside(&["addr", "add", &format!("10.{NET}.{i}.2/24"), "dev", &inner])?;
            inside(&["link", "set", &inner, "up"])?;
            inside(&["link", "set", "lo", "up"])?;
        }
        Ok(made)
    }

    /// The namespace of validator `i`.
    pub(super) fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    /// Validator `i`'s own address.
    pub(super) fn host(i: usize) -> anyhow::Result<Ipv4Addr> {
        Ok(Ipv4Addr::new(10, NET, u8::try_from(i)?, 2))
    }

    /// The bench's end of validator `i`'s link.
    fn gateway(i: usize) -> anyhow::Result<Ipv4Addr> {
        Ok(Ipv4Addr::new(10, NET, u8::try_from(i)?, 1))
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        // Deleting a namespace deletes the veth pair inside it.
        for name in &self.names {
            let _ = ip(&["netns", "del", name]);
        }
    }
}

/// Rewrites the node files of a loopback testnet for the namespaces:
/// each node listens and serves its API on its own address and knows each
/// peer at the relay for that pair.
fn place(
    configs: &[PathBuf],
    (api_base, p2p_base, relay_base): (u16, u16, u16),
) -> anyhow::Result<()> {
    for (i, c) in configs.iter().enumerate() {
        let mut f = NodeFile::load(c)?;
        let host = Namespaces::host(i)?;
        let gateway = Namespaces::gateway(i)?;
        f.listen = SocketAddr::V4(SocketAddrV4::new(host, p2p_base + u16::try_from(i)?));
        f.api = SocketAddr::V4(SocketAddrV4::new(host, api_base + u16::try_from(i)?));
        for p in &mut f.peers {
            let j = p
                .addr
                .port()
                .checked_sub(p2p_base)
                .context("a peer outside the testnet's port range")?;
            p.addr = SocketAddr::V4(SocketAddrV4::new(gateway, relay_base + j));
        }
        std::fs::write(c, toml::to_string(&f)?)
            .with_context(|| format!("writing {}", c.display()))?;
    }
    Ok(())
}

/// Starts the relays for every ordered pair of validators on `rt`: from
/// `10.213.i.1:(relay_base + j)` to `10.213.j.2:(p2p_base + j)`, each
/// datagram held `delay` microseconds in each direction.
fn start_relays(
    rt: &tokio::runtime::Runtime,
    n: usize,
    (p2p_base, relay_base): (u16, u16),
    delay: &Arc<AtomicU64>,
) -> anyhow::Result<()> {
    for i in 0..n {
        for j in (0..n).filter(|&j| j != i) {
            let listen = SocketAddr::V4(SocketAddrV4::new(
                Namespaces::gateway(i)?,
                relay_base + u16::try_from(j)?,
            ));
            let upstream_from = SocketAddr::V4(SocketAddrV4::new(Namespaces::gateway(j)?, 0));
            let target = SocketAddr::V4(SocketAddrV4::new(
                Namespaces::host(j)?,
                p2p_base + u16::try_from(j)?,
            ));
            let (front, back) = rt.block_on(async {
                Ok::<_, std::io::Error>((
                    Arc::new(tokio::net::UdpSocket::bind(listen).await?),
                    Arc::new(tokio::net::UdpSocket::bind(upstream_from).await?),
                ))
            })?;
            let client: Arc<std::sync::Mutex<Option<SocketAddr>>> = Arc::default();
            // i → j
            {
                let (front, back, client, delay) = (
                    Arc::clone(&front),
                    Arc::clone(&back),
                    Arc::clone(&client),
                    Arc::clone(delay),
                );
                rt.spawn(async move {
                    let mut buf = vec![0u8; 65_536];
                    while let Ok((len, from)) = front.recv_from(&mut buf).await {
                        *client
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(from);
                        forward(&back, buf[..len].to_vec(), target, &delay);
                    }
                });
            }
            // j → i
            {
                let delay = Arc::clone(delay);
                rt.spawn(async move {
                    let mut buf = vec![0u8; 65_536];
                    while let Ok((len, _)) = back.recv_from(&mut buf).await {
                        let to = *client
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        if let Some(to) = to {
                            forward(&front, buf[..len].to_vec(), to, &delay);
                        }
                    }
                });
            }
        }
    }
    Ok(())
}

/// Sends `packet` to `to` from `socket` after the current delay.
fn forward(
    socket: &Arc<tokio::net::UdpSocket>,
    packet: Vec<u8>,
    to: SocketAddr,
    delay: &AtomicU64,
) {
    let wait = Duration::from_micros(delay.load(Ordering::Relaxed));
    if wait.is_zero() {
        let _ = socket.try_send_to(&packet, to);
        return;
    }
    let due = tokio::time::Instant::now() + wait;
    let socket = Arc::clone(socket);
    tokio::spawn(async move {
        tokio::time::sleep_until(due).await;
        let _ = socket.send_to(&packet, to).await;
    });
}

/// Runs `veil bench cluster --netns`: light-load finality at each of
/// `--delays` (one-way, ms) on one network.
pub fn netns_finality(args: &ClusterArgs) -> anyhow::Result<serde_json::Value> {
    ensure!(
        (2..=16).contains(&args.validators),
        "--validators must be 2 to 16"
    );
    ensure!(!args.delays.is_empty(), "--delays names no delay");
    ensure!(
        args.light >= 1,
        "--light must be positive (transfers per delay)"
    );
    let n = args.validators;
    let namespaces = Namespaces::create(n).context(
        "creating network namespaces (needs root and iproute2; run without --netns otherwise)",
    )?;
    let relay_base = args.p2p_base_port + 40;
    let delay = Arc::new(AtomicU64::new(0));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    start_relays(&rt, n, (args.p2p_base_port, relay_base), &delay)?;
    let per = args.light;
    let Funded {
        running,
        apis,
        sources,
        encoded,
        hashes,
        setup,
        ..
    } = start_funded(
        n,
        per * args.delays.len(),
        (args.api_base_port, args.p2p_base_port),
        &[],
        args.keep,
        "netns",
        Some((&namespaces, &|configs: &[PathBuf]| {
            place(
                configs,
                (args.api_base_port, args.p2p_base_port, relay_base),
            )
        })),
    )?;
    let pids: Vec<u32> = running
        .children
        .iter()
        .map(std::process::Child::id)
        .collect();
    let watcher = Watcher::start(&apis, pids);
    let within = Duration::from_secs(600);
    let mut rows = Vec::new();
    for (k, &ms) in args.delays.iter().enumerate() {
        delay.store(ms * 1000, Ordering::Relaxed);
        // Two fresh blocks at this delay before measuring.
        let now = sources[0].status()?.height;
        watcher.wait_all_at(now + 2, within)?;
        let range = k * per..(k + 1) * per;
        let finality = light_phase(
            &sources,
            &watcher,
            &encoded[range.clone()],
            &hashes[range],
            args.light_rate,
            within,
        )?;
        rows.push(json!({
            "one_way_delay_ms": ms,
            "finality": latency_json(finality),
        }));
    }
    drop(watcher);
    drop(running);
    drop(rt);
    drop(namespaces);
    Ok(json!({
        "validators": n,
        "placement": "one network namespace per validator, veth links, user-space relay delay",
        "light_rate_per_s": args.light_rate,
        "txs_per_delay": per,
        "setup_s": super::bench::round3(setup.as_secs_f64()),
        "delays": rows,
    }))
}

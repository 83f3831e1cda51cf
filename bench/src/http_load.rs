//! The permission service over HTTP: `permafrost serve`'s router on a
//! loopback port, in this process, driven by a hyper HTTP/1.1 client with
//! keep-alive connections.
//!
//! Over the same mixed allowed/denied probes, in one run:
//! - the floor: `Store::read()` then `check` in process (what a request
//!   costs without HTTP);
//! - sequential checks on one connection (the round trip);
//! - an open-loop load at a fixed offered rate over several connections,
//!   a request that falls behind schedule timed from when it was due, not
//!   when it was sent, so a stall is not hidden (no coordinated omission);
//!   one on schedule from when the timer (1 ms resolution) woke it;
//! - the saturated throughput of the same connections as fast as they go;
//! - sequential batches of checks.
//!
//! Every answer is compared with the expected one.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::Request;
use hyper_util::rt::TokioIo;
use permafrost::materializer::MaterializerConfig;
use permafrost::server::{ServeArgs, Service};
use serde_json::{json, Value as Json};

use crate::latency::{human, ratio, Latency, Summary};
use crate::org_chart::{employee, OrgChart};
use crate::reviews::{mixed_probes, review, tuples, Tuple, ACTIONS};
use crate::rng::Rng;
use crate::store::load::materialize;
use crate::BoxError;

/// What to run.
#[derive(Clone, Debug)]
pub struct HttpLoadConfig {
    /// Employees of the org chart (one review each).
    pub employees: usize,
    /// Levels of the chart.
    pub depth: usize,
    /// Dataflow workers of the materializer.
    pub workers: usize,
    /// Generator seed.
    pub seed: u64,
    /// Distinct check probes.
    pub probes: usize,
    /// Offered check rate of the open-loop run, in requests per second.
    pub rate: usize,
    /// Seconds of the open-loop and of the saturated run.
    pub seconds: f64,
    /// Keep-alive connections of the open-loop and saturated runs.
    pub connections: usize,
    /// Sequential batch requests.
    pub batches: usize,
    /// Checks per batch.
    pub batch_size: usize,
}

/// One check probe: its request body and the expected answer.
struct Probe {
    body: Bytes,
    allowed: bool,
}

/// A keep-alive client connection.
type Connection = SendRequest<Full<Bytes>>;

/// Runs the workload and answers its figures as JSON (also printed).
pub fn run(config: &HttpLoadConfig) -> Result<Json, BoxError> {
    let chart = OrgChart::generate(config.employees, config.depth, config.seed);
    let all = tuples(&chart);
    let dir = tempfile::tempdir()?;
    eprintln!("materializing {} employees…", config.employees);
    let (store, loaded) = materialize(&chart, dir.path(), config.workers)?;
    let mut rng = Rng::new(config.seed ^ 0x4854_5450);
    let picks = mixed_probes(config.employees, &all, config.probes, &mut rng);
    let in_process = in_process_checks(&store, &picks)?;
    drop(store);

    let service = Service::open(&ServeArgs {
        db: dir.path().to_path_buf(),
        policy: None,
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        token: Some("bench".into()),
        decision_log: None::<PathBuf>,
        materializer: MaterializerConfig {
            workers: config.workers,
        },
    })?;
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = server.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    server.spawn(service.serve(listener));

    let probes: Arc<Vec<Probe>> = Arc::new(picks.iter().map(|(t, a)| probe(t, *a)).collect());
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let figures = client.block_on(async {
        let sequential = sequential(addr, &probes).await?;
        let open_loop = open_loop(addr, &probes, config).await?;
        let saturated = saturated(addr, &probes, config).await?;
        let batches = batches(addr, &picks, config).await?;
        Ok::<_, BoxError>((sequential, open_loop, saturated, batches))
    })?;
    let (sequential, open_loop, saturated, batch) = figures;
    drop(client);
    server.shutdown_timeout(Duration::from_secs(1));

    print_table(
        config,
        loaded.granted,
        &in_process,
        &sequential,
        &open_loop,
        saturated,
        &batch,
    );
    Ok(json!({
        "workload": "http",
        "employees": config.employees,
        "depth": config.depth,
        "seed": config.seed,
        "tuples": loaded.granted,
        "probes": probes.len(),
        "allowed_probes": picks.iter().filter(|(_, a)| *a).count(),
        "in_process_check": in_process.json(),
        "http_sequential_check": sequential.json(),
        "open_loop": {
            "offered_rate": config.rate,
            "achieved_rate": open_loop.achieved_rate,
            "connections": config.connections,
            "seconds": config.seconds,
            "latency": open_loop.latency.json(),
        },
        "saturated_rate": saturated,
        "batch": {"size": config.batch_size, "latency": batch.json()},
        "ratios": {
            "http_sequential_over_in_process_p50": ratio(sequential.p50_ns, in_process.p50_ns),
            "open_loop_over_in_process_p50": ratio(open_loop.latency.p50_ns, in_process.p50_ns),
        },
    }))
}

fn probe(t: &Tuple, allowed: bool) -> Probe {
    let body = json!({
        "actor": employee(t.actor as usize),
        "action": ACTIONS[usize::from(t.action)],
        "resource": review(t.review as usize),
    });
    Probe {
        body: Bytes::from(body.to_string()),
        allowed,
    }
}

/// The floor: a snapshot and a check per probe, in process.
fn in_process_checks(store: &storage::Store, picks: &[(Tuple, bool)]) -> Result<Summary, BoxError> {
    let mut latency = Latency::new()?;
    let values: Vec<_> = picks
        .iter()
        .map(|(t, a)| {
            let action = engine::Value::str(ACTIONS[usize::from(t.action)]);
            (
                employee(t.actor as usize),
                action,
                review(t.review as usize),
                *a,
            )
        })
        .collect();
    let now = permafrost::load::now();
    for round in 0..2 {
        for (actor, action, resource, allowed) in &values {
            let started = Instant::now();
            let got = store.read()?.check(actor, action, resource, now)?;
            if round == 1 {
                latency.record(started.elapsed())?;
            }
            if got != *allowed {
                return Err(
                    format!("in process: {actor} {action} {resource} answered {got}").into(),
                );
            }
        }
    }
    Ok(latency.summary())
}

async fn connect(addr: SocketAddr) -> Result<Connection, BoxError> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// POSTs `body` to `path` and answers the response body (an error unless
/// 200).
async fn post(connection: &mut Connection, path: &str, body: Bytes) -> Result<Bytes, BoxError> {
    connection.ready().await?;
    let request = Request::post(path)
        .header(hyper::header::HOST, "bench")
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(body))?;
    let response = connection.send_request(request).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    if status != hyper::StatusCode::OK {
        return Err(format!("{path}: {status} {}", String::from_utf8_lossy(&bytes)).into());
    }
    Ok(bytes)
}

/// One check over `connection`, compared with the expected answer.
async fn check(connection: &mut Connection, probe: &Probe) -> Result<(), BoxError> {
    let answer = post(connection, "/v1/check", probe.body.clone()).await?;
    let want: &[u8] = if probe.allowed {
        b"\"allowed\":true"
    } else {
        b"\"allowed\":false"
    };
    if answer.windows(want.len()).any(|w| w == want) {
        Ok(())
    } else {
        Err(format!(
            "{} answered {}",
            String::from_utf8_lossy(&probe.body),
            String::from_utf8_lossy(&answer)
        )
        .into())
    }
}

/// Every probe once, one after another on one connection (after one
/// unrecorded warm-up pass).
async fn sequential(addr: SocketAddr, probes: &[Probe]) -> Result<Summary, BoxError> {
    let mut connection = connect(addr).await?;
    let mut latency = Latency::new()?;
    for round in 0..2 {
        for probe in probes {
            let started = Instant::now();
            check(&mut connection, probe).await?;
            if round == 1 {
                latency.record(started.elapsed())?;
            }
        }
    }
    Ok(latency.summary())
}

/// The open-loop run's figures.
struct OpenLoop {
    achieved_rate: f64,
    latency: Summary,
}

/// `rate` checks per second for `seconds`, spread over the connections:
/// request `k` is due at `k / rate`; each connection sends its own requests
/// in order, and a request's latency counts from its due time.
async fn open_loop(
    addr: SocketAddr,
    probes: &Arc<Vec<Probe>>,
    config: &HttpLoadConfig,
) -> Result<OpenLoop, BoxError> {
    let total = (config.rate as f64 * config.seconds) as usize;
    let interval = Duration::from_secs_f64(1.0 / config.rate.max(1) as f64);
    let connections = config.connections.max(1);
    let started = Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let probes = Arc::clone(probes);
        let mut connection = connect(addr).await?;
        tasks.push(tokio::spawn(async move {
            let mut latency = Latency::new().map_err(|e| e.to_string())?;
            for k in (c..total).step_by(connections) {
                let due = started + interval * k as u32;
                // Behind schedule (the previous answer came late): the wait
                // counts. On schedule: the timer wakes up to a millisecond
                // late, which is the client's, not the server's.
                let behind = Instant::now() >= due;
                tokio::time::sleep_until(due.into()).await;
                let sent = if behind { due } else { Instant::now() };
                let checked = check(&mut connection, &probes[k % probes.len()]).await;
                checked.map_err(|e| e.to_string())?;
                latency.record(sent.elapsed()).map_err(|e| e.to_string())?;
            }
            Ok::<_, String>(latency)
        }));
    }
    let mut merged = Latency::new()?;
    for task in tasks {
        merged.merge(&task.await??)?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(OpenLoop {
        achieved_rate: total as f64 / elapsed,
        latency: merged.summary(),
    })
}

/// Checks per second of the connections sending as fast as answers come.
async fn saturated(
    addr: SocketAddr,
    probes: &Arc<Vec<Probe>>,
    config: &HttpLoadConfig,
) -> Result<f64, BoxError> {
    let until = Instant::now() + Duration::from_secs_f64(config.seconds);
    let mut tasks = Vec::new();
    for c in 0..config.connections.max(1) {
        let probes = Arc::clone(probes);
        let mut connection = connect(addr).await?;
        tasks.push(tokio::spawn(async move {
            let mut done = 0usize;
            while Instant::now() < until {
                let probe = &probes[(c + done * 7919) % probes.len()];
                check(&mut connection, probe)
                    .await
                    .map_err(|e| e.to_string())?;
                done += 1;
            }
            Ok::<_, String>(done)
        }));
    }
    let started = Instant::now();
    let mut done = 0;
    for task in tasks {
        done += task.await??;
    }
    Ok(done as f64 / started.elapsed().as_secs_f64())
}

/// Sequential `/v1/check/batch` requests of `batch_size` checks.
async fn batches(
    addr: SocketAddr,
    picks: &[(Tuple, bool)],
    config: &HttpLoadConfig,
) -> Result<Summary, BoxError> {
    let mut connection = connect(addr).await?;
    let mut latency = Latency::new()?;
    let size = config.batch_size.clamp(1, picks.len().max(1));
    for b in 0..=config.batches {
        let start = (b * size) % picks.len().max(1);
        let chunk: Vec<&(Tuple, bool)> = picks.iter().cycle().skip(start).take(size).collect();
        let checks: Vec<Json> = chunk
            .iter()
            .map(|(t, _)| {
                json!({
                    "actor": employee(t.actor as usize),
                    "action": ACTIONS[usize::from(t.action)],
                    "resource": review(t.review as usize),
                })
            })
            .collect();
        let body = Bytes::from(json!({ "checks": checks }).to_string());
        let started = Instant::now();
        let answer = post(&mut connection, "/v1/check/batch", body).await?;
        let elapsed = started.elapsed();
        if b > 0 {
            latency.record(elapsed)?;
        }
        let results: Json = serde_json::from_slice(&answer)?;
        let want: Vec<bool> = chunk.iter().map(|(_, a)| *a).collect();
        if results["results"] != json!(want) {
            return Err(format!("batch {b} answered {}", results["results"]).into());
        }
    }
    Ok(latency.summary())
}

fn print_table(
    config: &HttpLoadConfig,
    tuples: usize,
    in_process: &Summary,
    sequential: &Summary,
    open_loop: &OpenLoop,
    saturated: f64,
    batch: &Summary,
) {
    println!(
        "http: {} employees, {tuples} tuples; latency p50 / p99 / p99.9",
        config.employees
    );
    println!(
        "  in-process check (floor)      {}",
        in_process.percentiles()
    );
    println!(
        "  HTTP check, one connection    {}",
        sequential.percentiles()
    );
    println!(
        "  HTTP check, open loop {} /s over {} connections (achieved {:.0} /s)  {}",
        config.rate,
        config.connections,
        open_loop.achieved_rate,
        open_loop.latency.percentiles()
    );
    println!("  HTTP saturated throughput     {saturated:.0} checks/s");
    println!(
        "  HTTP batch of {}              {}",
        config.batch_size,
        batch.percentiles()
    );
    println!(
        "  one-connection p50 / in-process p50: {:.1}x ({} vs {})",
        ratio(sequential.p50_ns, in_process.p50_ns),
        human(sequential.p50_ns as f64),
        human(in_process.p50_ns as f64)
    );
}

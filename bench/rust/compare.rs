//! compare.rs — Rust's std Rc, Arc, Mutex and the rest of std::sync, measured with the method of
//! `racelab bench`, so that `racelab bench rust-compare` can print C/Rust
//! ratios from one run.
//!
//! Build: rustc -O --edition 2021 -o rust-compare compare.rs
//! Run:   rust-compare [--samples N] [--time-per-sample MS] [--warmup MS]
//!        rust-compare --serve
//!
//! Method (the same as bench/harness.c): calibrate the batch until one sample
//! lasts about --time-per-sample, warm up for --warmup ms at that batch size,
//! then time --samples batches; each sample is ns/op of one batch. The loop
//! bodies match the C benchmarks: clone, black_box (an escape with a memory
//! clobber, like rl_bench_escape), drop; lock, black_box the value, unlock.
//!
//! Output, one line per benchmark:
//!   RUST name=rc-clone-drop iters=N ns=a,b,c cycles=a,b,c
//! cycles are rdtsc reference cycles per op (empty off x86-64).
//!
//! --serve is what `racelab bench rust-compare` uses: it reads commands on
//! stdin and answers one line each, so that the C side can alternate C and
//! Rust samples and a busy machine slows both alike:
//!   cal NAME MS    -> iters N            (calibrate a batch to MS milliseconds)
//!   run NAME ITERS -> ns X cycles Y      (one batch; per-op figures)
//! NAME is rc-clone-drop, arc-clone-drop, mutex-lock-unlock, or one of the
//! std::sync rows: mpsc-send-recv, sync-send-recv, rendezvous, mpsc-2,
//! sync-mpsc-2, rendezvous-2, rwlock-read-drop, rwlock-write-drop, rwlock-read-mostly-2,
//! condvar-ping-pong, condvar-notify-one (their C twins are in
//! bench/bench_stdsync.c; a second thread is spawned inside the batch, as
//! there).

use std::hint::black_box;
use std::rc::Rc;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::Instant;

#[cfg(target_arch = "x86_64")]
fn cycles() -> u64 {
    // SAFETY: rdtsc has no preconditions on x86-64.
    unsafe { core::arch::x86_64::_rdtsc() }
}
#[cfg(not(target_arch = "x86_64"))]
fn cycles() -> u64 {
    0
}

struct Opts {
    samples: usize,
    sample_ms: f64,
    warmup_ms: f64,
}

/// Time one batch of `iters` operations: (elapsed ns, elapsed rdtsc ticks).
fn batch<F: FnMut(u64)>(f: &mut F, iters: u64) -> (f64, f64) {
    let c0 = cycles();
    let t0 = Instant::now();
    f(iters);
    let ns = t0.elapsed().as_nanos() as f64;
    let c1 = cycles();
    (ns, c1.wrapping_sub(c0) as f64)
}

/// Grow the batch until one lasts about `target` ns; the batch size.
fn calibrate<F: FnMut(u64)>(f: &mut F, target: f64) -> u64 {
    let mut iters: u64 = 1;
    let mut elapsed;
    loop {
        elapsed = batch(f, iters).0;
        if elapsed >= 0.8 * target {
            break;
        }
        let mut mult = if elapsed > 0.0 { 1.2 * target / elapsed } else { 10.0 };
        if elapsed < target / 10.0 && mult > 10.0 {
            mult = 10.0;
        }
        let next = (iters as f64 * mult) as u64;
        iters = if next > iters { next } else { iters + 1 };
    }
    let per = elapsed / iters as f64;
    if per > 0.0 {
        iters = ((target / per) as u64).max(1);
    }
    iters
}

fn measure<F: FnMut(u64)>(name: &str, o: &Opts, mut f: F) {
    let iters = calibrate(&mut f, o.sample_ms * 1e6);
    let w0 = Instant::now();
    loop {
        batch(&mut f, iters);
        if w0.elapsed().as_nanos() as f64 >= o.warmup_ms * 1e6 {
            break;
        }
    }
    let mut ns = Vec::with_capacity(o.samples);
    let mut cyc = Vec::with_capacity(o.samples);
    for _ in 0..o.samples {
        let (t, c) = batch(&mut f, iters);
        ns.push(format!("{:.6}", t / iters as f64));
        cyc.push(format!("{:.6}", c / iters as f64));
    }
    let cyc = if cfg!(target_arch = "x86_64") { cyc.join(",") } else { String::new() };
    println!("RUST name={} iters={} ns={} cycles={}", name, iters, ns.join(","), cyc);
}

fn parse_args() -> Result<Opts, String> {
    let mut o = Opts { samples: 15, sample_ms: 20.0, warmup_ms: 20.0 };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let val = args.get(i + 1).ok_or_else(|| format!("{} needs a value", args[i]))?;
        match args[i].as_str() {
            "--samples" => {
                o.samples = val.parse().map_err(|_| format!("bad --samples '{}'", val))?;
                if o.samples == 0 {
                    return Err("--samples must be at least 1".into());
                }
            }
            "--time-per-sample" => {
                o.sample_ms = val.parse().map_err(|_| format!("bad --time-per-sample '{}'", val))?;
                if !(o.sample_ms > 0.0) {
                    return Err("--time-per-sample must be above 0".into());
                }
            }
            "--warmup" => {
                o.warmup_ms = val.parse().map_err(|_| format!("bad --warmup '{}'", val))?;
            }
            other => return Err(format!("unknown option '{}'", other)),
        }
        i += 2;
    }
    Ok(o)
}

struct Subjects {
    rc: Rc<u64>,
    arc: Arc<u64>,
    m: Mutex<u64>,
    rw: RwLock<u64>,
    chan: (Sender<u64>, Receiver<u64>),
    schan: (SyncSender<u64>, Receiver<u64>),
}

// Rc<u64>: clone is a plain increment (with Rust's overflow check).
fn rc_loop(s: &Subjects, n: u64) {
    for _ in 0..n {
        let c = Rc::clone(&s.rc);
        black_box(&c);
        drop(c);
    }
}

// Arc<u64>: fetch_add Relaxed, then fetch_sub Release (+ Acquire on the last).
fn arc_loop(s: &Subjects, n: u64) {
    for _ in 0..n {
        let c = Arc::clone(&s.arc);
        black_box(&c);
        drop(c);
    }
}

// Mutex<u64>, uncontended: the futex mutex's fast paths (one CAS, one swap).
fn mutex_loop(s: &Subjects, n: u64) {
    for _ in 0..n {
        let g = s.m.lock().unwrap();
        black_box(&*g);
        drop(g);
    }
}

// mpsc on one thread: send(i), recv, black_box.
fn mpsc_loop(s: &Subjects, n: u64) {
    for i in 0..n {
        s.chan.0.send(i).unwrap();
        black_box(s.chan.1.recv().unwrap());
    }
}

fn sync_loop(s: &Subjects, n: u64) {
    for i in 0..n {
        s.schan.0.send(i).unwrap();
        black_box(s.schan.1.recv().unwrap());
    }
}

// `producers` threads send n messages in all through channel() (bound None)
// or sync_channel(bound); this thread receives them.
fn producers(n: u64, bound: Option<usize>, producers: u64) {
    fn spawn_all<S: Clone + Send + 'static>(
        tx: S,
        n: u64,
        producers: u64,
        send: fn(&S, u64),
    ) -> Vec<std::thread::JoinHandle<()>> {
        let mut hs = Vec::new();
        for p in 0..producers {
            let tx = tx.clone();
            let k = n / producers + if p == 0 { n % producers } else { 0 };
            hs.push(std::thread::spawn(move || {
                for i in 0..k {
                    send(&tx, i);
                }
            }));
        }
        hs
    }
    let (rx, handles) = match bound {
        Some(b) => {
            let (tx, rx) = mpsc::sync_channel::<u64>(b);
            (rx, spawn_all(tx, n, producers, |tx, i| tx.send(i).unwrap()))
        }
        None => {
            let (tx, rx) = mpsc::channel::<u64>();
            (rx, spawn_all(tx, n, producers, |tx, i| tx.send(i).unwrap()))
        }
    };
    let mut got = 0u64;
    while let Ok(v) = rx.recv() {
        black_box(v);
        got += 1;
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(got, n);
}

fn rendezvous_loop(_s: &Subjects, n: u64) {
    producers(n, Some(0), 1);
}

fn mpsc2_loop(_s: &Subjects, n: u64) {
    producers(n, None, 2);
}

fn sync_mpsc2_loop(_s: &Subjects, n: u64) {
    producers(n, Some(16), 2);
}

fn rendezvous2_loop(_s: &Subjects, n: u64) {
    producers(n, Some(0), 2);
}

fn rw_read_loop(s: &Subjects, n: u64) {
    for _ in 0..n {
        let g = s.rw.read().unwrap();
        black_box(&*g);
        drop(g);
    }
}

fn rw_write_loop(s: &Subjects, n: u64) {
    for _ in 0..n {
        let g = s.rw.write().unwrap();
        black_box(&*g);
        drop(g);
    }
}

// Read-mostly: every thread reads; thread 0 writes once per 256 ops.
fn read_mostly(rw: &RwLock<u64>, idx: u64, n: u64) {
    for i in 0..n {
        if idx == 0 && i & 255 == 255 {
            *rw.write().unwrap() += 1;
            continue;
        }
        let g = rw.read().unwrap();
        black_box(&*g);
        drop(g);
    }
}

fn rw_mostly2_loop(s: &Subjects, n: u64) {
    let rw = &s.rw; // Subjects holds an Rc: only the RwLock crosses threads
    std::thread::scope(|sc| {
        sc.spawn(move || read_mostly(rw, 1, n));
        read_mostly(rw, 0, n);
    });
}

// Two threads take turns through a Mutex<u64> and one Condvar; one op is a
// round trip.
fn play(m: &Mutex<u64>, cv: &Condvar, parity: u64, turns: u64) {
    let mut g = m.lock().unwrap();
    while *g < 2 * turns {
        while *g % 2 != parity && *g < 2 * turns {
            g = cv.wait(g).unwrap();
        }
        if *g >= 2 * turns {
            break;
        }
        *g += 1;
        cv.notify_one();
    }
}

fn ping_pong_loop(_s: &Subjects, n: u64) {
    let m = Mutex::new(0u64);
    let cv = Condvar::new();
    std::thread::scope(|sc| {
        sc.spawn(|| play(&m, &cv, 1, n));
        play(&m, &cv, 0, n);
    });
}

fn notify_loop(_s: &Subjects, n: u64) {
    let cv = Condvar::new();
    for _ in 0..n {
        cv.notify_one();
        black_box(&cv);
    }
}

fn lookup(name: &str) -> Option<fn(&Subjects, u64)> {
    match name {
        "rc-clone-drop" => Some(rc_loop),
        "arc-clone-drop" => Some(arc_loop),
        "mutex-lock-unlock" => Some(mutex_loop),
        "mpsc-send-recv" => Some(mpsc_loop),
        "sync-send-recv" => Some(sync_loop),
        "rendezvous" => Some(rendezvous_loop),
        "mpsc-2" => Some(mpsc2_loop),
        "sync-mpsc-2" => Some(sync_mpsc2_loop),
        "rendezvous-2" => Some(rendezvous2_loop),
        "rwlock-read-drop" => Some(rw_read_loop),
        "rwlock-write-drop" => Some(rw_write_loop),
        "rwlock-read-mostly-2" => Some(rw_mostly2_loop),
        "condvar-ping-pong" => Some(ping_pong_loop),
        "condvar-notify-one" => Some(notify_loop),
        _ => None,
    }
}

fn serve(s: &Subjects) {
    use std::io::BufRead;
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        let (Some(cmd), Some(name), Some(arg)) = (words.first(), words.get(1), words.get(2)) else {
            println!("error bad command");
            continue;
        };
        let Some(body) = lookup(name) else {
            println!("error unknown benchmark");
            continue;
        };
        let mut f = |n: u64| body(s, n);
        match (*cmd, arg.parse::<f64>()) {
            ("cal", Ok(ms)) if ms > 0.0 => println!("iters {}", calibrate(&mut f, ms * 1e6)),
            ("run", Ok(iters)) if iters >= 1.0 => {
                let iters = iters as u64;
                let (ns, c) = batch(&mut f, iters);
                println!("ns {:.6} cycles {:.6}", ns / iters as f64, c / iters as f64);
            }
            _ => println!("error bad command"),
        }
    }
}

fn main() {
    let s = Subjects {
        rc: Rc::new(0),
        arc: Arc::new(0),
        m: Mutex::new(0),
        rw: RwLock::new(0),
        chan: mpsc::channel(),
        schan: mpsc::sync_channel(16),
    };
    if std::env::args().nth(1).as_deref() == Some("--serve") {
        serve(&s);
        return;
    }
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("rust-compare: {}", e);
            std::process::exit(2);
        }
    };
    for name in [
        "rc-clone-drop",
        "arc-clone-drop",
        "mutex-lock-unlock",
        "mpsc-send-recv",
        "sync-send-recv",
        "rendezvous",
        "mpsc-2",
        "sync-mpsc-2",
        "rendezvous-2",
        "rwlock-read-drop",
        "rwlock-write-drop",
        "rwlock-read-mostly-2",
        "condvar-ping-pong",
        "condvar-notify-one",
    ] {
        let body = lookup(name).expect("known name");
        measure(name, &o, |n| body(&s, n));
    }
}

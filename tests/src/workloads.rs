//! The benchmark workloads (W1-W6) declared once: their queries, seeded data, an
//! order-sensitive output checksum, the hand-written twin of each and a driver that runs one
//! through the interpreter. The `workloads` binary and the criterion bench both use them.

use eventflux_runtime::{App, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Deterministic input: symbol index, price in 0..100, volume, and for W4 which stream.
#[derive(Clone, Copy)]
pub struct Trade {
    /// Index of the symbol in the workload's symbol names.
    pub sym: usize,
    /// Price, uniform in 0..100.
    pub price: f64,
    /// Volume (W4 uses it as `T.qty`).
    pub vol: i64,
}

/// `n` seeded trades over `symbols` symbols: the same data in every mode and every run.
pub fn trades(n: usize, symbols: usize) -> Vec<Trade> {
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    (0..n)
        .map(|_| Trade {
            sym: next() as usize % symbols,
            price: (next() % 10_000) as f64 / 100.0,
            vol: 1 + (next() % 1000) as i64,
        })
        .collect()
}

/// An order-sensitive checksum of output rows (FNV-1a over each value's bits).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Checksum {
    /// The running hash.
    pub hash: u64,
    /// How many rows went in.
    pub rows: u64,
}

impl Checksum {
    /// An empty checksum.
    pub fn new() -> Self {
        Checksum {
            hash: 0xcbf2_9ce4_8422_2325,
            rows: 0,
        }
    }
    fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.hash = (self.hash ^ *b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    /// Adds a string.
    pub fn text(&mut self, s: &str) {
        self.bytes(s.as_bytes());
        self.bytes(&[0]);
    }
    /// Adds a double.
    pub fn f64(&mut self, v: f64) {
        self.bytes(&v.to_bits().to_le_bytes());
    }
    /// Adds a long.
    pub fn i64(&mut self, v: i64) {
        self.bytes(&v.to_le_bytes());
    }
    /// Ends a row.
    pub fn end_row(&mut self) {
        self.rows += 1;
        self.bytes(&[0xff]);
    }
    /// Adds an engine value, as its hand-written twin adds the same datum.
    pub fn value(&mut self, v: &Value) {
        match v {
            Value::String(s) => self.text(s),
            Value::Double(x) => self.f64(*x),
            Value::Float(x) => self.f64(*x as f64),
            Value::Long(x) => self.i64(*x),
            Value::Int(x) => self.i64(*x as i64),
            Value::Bool(b) => self.i64(*b as i64),
            Value::Null => self.bytes(&[0xfe]),
            Value::Set(_) => self.text(&v.to_text()),
        }
    }
}

/// One workload: its query, how many symbols, and its hand-written twin.
pub struct Workload {
    /// Its name: `W1` .. `W6`, with the symbol count where a workload runs twice.
    pub id: &'static str,
    /// The whole app (the file `tests/workloads/wN.eventflux`, also compiled by `eventflux!`).
    pub app: &'static str,
    /// How many distinct symbols the data has.
    pub symbols: usize,
    /// Whether odd events go to `T` (the join).
    pub two_streams: bool,
    /// The hand-written twin.
    pub hand: Driver,
    /// The compiled app's driver, or what the compiled path lacks for this workload.
    pub compiled: Result<Driver, &'static str>,
}

/// Runs a workload's hand-written twin or compiled app over trades (symbol names given as
/// shared strings); with `latency`, records each send's duration.
pub type Driver = fn(&[Trade], &[Str], Option<&mut Vec<u64>>) -> Run;

/// A shared string, as compiled apps hold them.
pub type Str = Arc<str>;

/// Every workload, in order.
pub fn workloads() -> Vec<Workload> {
    vec![
        Workload {
            id: "W1",
            app: include_str!("../workloads/w1.eventflux"),
            symbols: 100,
            two_streams: false,
            hand: hand_w1,
            compiled: Ok(compiled::w1),
        },
        Workload {
            id: "W2",
            app: include_str!("../workloads/w2.eventflux"),
            symbols: 100,
            two_streams: false,
            hand: hand_w2,
            compiled: Ok(compiled::w2),
        },
        Workload {
            id: "W3",
            app: include_str!("../workloads/w3.eventflux"),
            symbols: 100,
            two_streams: false,
            hand: hand_w3,
            compiled: Ok(compiled::w3),
        },
        Workload {
            id: "W4",
            app: include_str!("../workloads/w4.eventflux"),
            symbols: 1000,
            two_streams: true,
            hand: hand_w4,
            compiled: Ok(compiled::w4),
        },
        Workload {
            id: "W5-100",
            app: include_str!("../workloads/w5.eventflux"),
            symbols: 100,
            two_streams: false,
            hand: hand_w5,
            compiled: Ok(compiled::w5),
        },
        Workload {
            id: "W5-10000",
            app: include_str!("../workloads/w5.eventflux"),
            symbols: 10_000,
            two_streams: false,
            hand: hand_w5,
            compiled: Ok(compiled::w5),
        },
        Workload {
            id: "W6",
            app: include_str!("../workloads/w6.eventflux"),
            symbols: 1000,
            two_streams: false,
            hand: hand_w6,
            compiled: Ok(compiled::w6),
        },
    ]
}

/// An event as the hand-written twins receive it: what the engines receive too, a symbol as a
/// shared string and the two numbers (W4 sends `vol` as `T.qty`).
pub struct Tick {
    /// The symbol.
    pub sym: Str,
    /// The price.
    pub price: f64,
    /// The volume.
    pub vol: i64,
}

/// A map keyed by symbol, hashed as the engine hashes its keys.
type BySymbol<V> = HashMap<Str, V, foldhash::fast::RandomState>;

/// Runs a hand-written twin: `on_event` gets each event (owned, as an engine's send takes it)
/// with its time in ms and the checksum to add output rows to.
fn hand(
    data: &[Trade],
    names: &[Str],
    latency: Option<&mut Vec<u64>>,
    mut on_event: impl FnMut(i64, Tick, &mut Checksum),
) -> Run {
    let mut c = Checksum::new();
    let seconds = drive(
        data,
        |_, t| Tick {
            sym: names[t.sym].clone(),
            price: t.price,
            vol: t.vol,
        },
        |i, tick| on_event(i as i64, tick, &mut c),
        latency,
    );
    Run {
        checksum: c,
        seconds,
    }
}

/// W1: `from S[price > 50.0] select sym, price * vol as notional`.
pub fn hand_w1(data: &[Trade], names: &[Str], latency: Option<&mut Vec<u64>>) -> Run {
    hand(data, names, latency, |_, t, c| {
        if t.price > 50.0 {
            c.text(&t.sym);
            c.f64(t.price * t.vol as f64);
            c.end_row();
        }
    })
}

/// W2: `from S#window.length(100) select sym, avg(price) as ap` (one row per event: the
/// oldest price leaves, then the new one enters).
pub fn hand_w2(data: &[Trade], names: &[Str], latency: Option<&mut Vec<u64>>) -> Run {
    let mut window: VecDeque<f64> = VecDeque::with_capacity(100);
    let (mut sum, mut count) = (0.0f64, 0i64);
    hand(data, names, latency, |_, t, c| {
        if window.len() == 100
            && let Some(old) = window.pop_front()
        {
            sum -= old;
            count -= 1;
        }
        window.push_back(t.price);
        sum += t.price;
        count += 1;
        c.text(&t.sym);
        c.f64(sum / count as f64);
        c.end_row();
    })
}

/// W3: `from S#window.time(1 sec) select sym, sum(vol) as v group by sym`, events 1 ms apart
/// (an event expires exactly 1000 ms after it came, before an event at that time).
pub fn hand_w3(data: &[Trade], names: &[Str], latency: Option<&mut Vec<u64>>) -> Run {
    let mut window: VecDeque<(i64, Str, i64)> = VecDeque::new();
    let mut sums: BySymbol<i64> = BySymbol::default();
    hand(data, names, latency, |now, t, c| {
        while let Some((at, _, _)) = window.front() {
            if at + 1000 > now {
                break;
            }
            if let Some((_, sym, vol)) = window.pop_front()
                && let Some(sum) = sums.get_mut(&sym)
            {
                *sum -= vol;
            }
        }
        let sum = match sums.get_mut(&t.sym) {
            Some(sum) => sum,
            None => sums.entry(t.sym.clone()).or_default(),
        };
        *sum += t.vol;
        c.text(&t.sym);
        c.i64(*sum);
        c.end_row();
        window.push_back((now, t.sym, t.vol));
    })
}

/// W4: length(100) windows on S (even events) and T (odd events) joined on the symbol; each
/// arrival pairs with the other window's events of its symbol, oldest first.
pub fn hand_w4(data: &[Trade], names: &[Str], latency: Option<&mut Vec<u64>>) -> Run {
    let mut s_window: VecDeque<(Str, f64)> = VecDeque::with_capacity(100);
    let mut t_window: VecDeque<(Str, i64)> = VecDeque::with_capacity(100);
    hand(data, names, latency, |i, t, c| {
        if i % 2 == 0 {
            if s_window.len() == 100 {
                s_window.pop_front();
            }
            for (sym, qty) in &t_window {
                if *sym == t.sym {
                    c.text(&t.sym);
                    c.f64(t.price);
                    c.i64(*qty);
                    c.end_row();
                }
            }
            s_window.push_back((t.sym, t.price));
        } else {
            if t_window.len() == 100 {
                t_window.pop_front();
            }
            for (sym, price) in &s_window {
                if *sym == t.sym {
                    c.text(&t.sym);
                    c.f64(*price);
                    c.i64(t.vol);
                    c.end_row();
                }
            }
            t_window.push_back((t.sym, t.vol));
        }
    })
}

/// W5: `every e1=S[price > 90.0] -> e2=S[sym == e1.sym and price < 10.0] within 1 sec`.
pub fn hand_w5(data: &[Trade], names: &[Str], latency: Option<&mut Vec<u64>>) -> Run {
    let mut waiting: BySymbol<VecDeque<i64>> = BySymbol::default();
    hand(data, names, latency, |now, t, c| {
        if t.price < 10.0
            && let Some(starts) = waiting.get_mut(&t.sym)
        {
            for start in starts.drain(..) {
                if now - start <= 1000 {
                    c.text(&t.sym);
                    c.f64(t.price);
                    c.end_row();
                }
            }
        }
        if t.price > 90.0 {
            let starts = waiting.entry(t.sym).or_default();
            while starts.front().is_some_and(|s| now - s > 1000) {
                starts.pop_front();
            }
            starts.push_back(now);
        }
    })
}

/// W6: per symbol, a length(10) window and the max price in it.
pub fn hand_w6(data: &[Trade], names: &[Str], latency: Option<&mut Vec<u64>>) -> Run {
    let mut windows: BySymbol<VecDeque<f64>> = BySymbol::default();
    hand(data, names, latency, |_, t, c| {
        let w = match windows.get_mut(&t.sym) {
            Some(w) => w,
            None => windows.entry(t.sym.clone()).or_default(),
        };
        if w.len() == 10 {
            w.pop_front();
        }
        w.push_back(t.price);
        let max = w.iter().copied().fold(f64::MIN, f64::max);
        c.text(&t.sym);
        c.f64(max);
        c.end_row();
    })
}

/// What a driver measured: the output checksum and the seconds spent sending events.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    /// The checksum of every output row.
    pub checksum: Checksum,
    /// Seconds spent in sends (building the events to send is not counted: the hand-written
    /// twin reads ready-made structs too).
    pub seconds: f64,
}

/// A checksum that an output callback owns and publishes after each row with two relaxed
/// stores, so that neither the callback nor the driver takes a lock per event (the
/// hand-written twin takes none).
#[derive(Clone, Default)]
pub struct Published(Arc<[AtomicU64; 2]>);

impl Published {
    /// Publishes the callback's checksum.
    pub fn store(&self, c: &Checksum) {
        self.0[0].store(c.hash, Ordering::Relaxed);
        self.0[1].store(c.rows, Ordering::Relaxed);
    }
    /// The last checksum published (an empty one before any row).
    pub fn load(&self) -> Checksum {
        match self.0[1].load(Ordering::Relaxed) {
            0 => Checksum::new(),
            rows => Checksum {
                hash: self.0[0].load(Ordering::Relaxed),
                rows,
            },
        }
    }
}

/// How many events a driver builds (not timed) before sending them (timed).
const BATCH: usize = 4096;

/// Sends `data` batch by batch: `prepare` builds a batch's events in the mode's input form
/// (not timed), then `send` gets each with its index (timed; with `latency`, each send's
/// duration is recorded). Returns the seconds spent sending.
fn drive<E>(
    data: &[Trade],
    mut prepare: impl FnMut(usize, &Trade) -> E,
    mut send: impl FnMut(usize, E),
    mut latency: Option<&mut Vec<u64>>,
) -> f64 {
    let mut seconds = 0.0;
    let mut batch = Vec::with_capacity(BATCH);
    for (b, trades) in data.chunks(BATCH).enumerate() {
        let first = b * BATCH;
        batch.extend(
            trades
                .iter()
                .enumerate()
                .map(|(i, t)| prepare(first + i, t)),
        );
        let started = Instant::now();
        match latency.as_deref_mut() {
            None => {
                for (i, e) in batch.drain(..).enumerate() {
                    send(first + i, e);
                }
            }
            Some(l) => {
                for (i, e) in batch.drain(..).enumerate() {
                    let sent = Instant::now();
                    send(first + i, e);
                    l.push(sent.elapsed().as_nanos() as u64);
                }
            }
        }
        seconds += started.elapsed().as_secs_f64();
    }
    seconds
}

/// Runs `w` interpreted; with `latency`, records each send's duration.
pub fn interpreted(
    w: &Workload,
    data: &[Trade],
    names: &[Value],
    latency: Option<&mut Vec<u64>>,
) -> Result<Run, String> {
    let started = Instant::now();
    let mut app = App::from_text(w.id, w.app).map_err(|e| e.to_string())?;
    app.set_playback(true);
    let published = Published::default();
    let sink = published.clone();
    let mut c = Checksum::new();
    app.subscribe("Out", move |out| {
        for v in out.values {
            c.value(v);
        }
        c.end_row();
        sink.store(&c);
    });
    let s = app.input("S").map_err(|e| e.to_string())?;
    let t = if w.two_streams {
        Some(app.input("T").map_err(|e| e.to_string())?)
    } else {
        None
    };
    let setup = started.elapsed().as_secs_f64();
    let mut error = None;
    let sending = drive(
        data,
        |i, e| -> (bool, Arc<[Value]>) {
            match &t {
                Some(_) if i % 2 == 1 => {
                    (true, Arc::from([names[e.sym].clone(), Value::Long(e.vol)]))
                }
                _ => (
                    false,
                    Arc::from([
                        names[e.sym].clone(),
                        Value::Double(e.price),
                        Value::Long(e.vol),
                    ]),
                ),
            }
        },
        |i, (to_t, row)| {
            let input = match (&t, to_t) {
                (Some(t), true) => t,
                _ => &s,
            };
            if let Err(e) = app.send_row(input, Some(i as i64), row)
                && error.is_none()
            {
                error = Some(e.to_string());
            }
        },
        latency,
    );
    match error {
        Some(e) => Err(e),
        None => Ok(Run {
            checksum: published.load(),
            seconds: setup + sending,
        }),
    }
}

/// The workloads' apps compiled by `eventflux!` from the same files, with their drivers.
mod compiled {
    use super::{Checksum, Published, Run, Str, Trade, drive};
    use std::time::Instant;

    eventflux_runtime::eventflux!(file = "workloads/w1.eventflux");
    eventflux_runtime::eventflux!(file = "workloads/w2.eventflux");
    eventflux_runtime::eventflux!(file = "workloads/w3.eventflux");
    eventflux_runtime::eventflux!(file = "workloads/w4.eventflux");
    eventflux_runtime::eventflux!(file = "workloads/w5.eventflux");
    eventflux_runtime::eventflux!(file = "workloads/w6.eventflux");

    /// A driver for compiled app module `$app`: sends each trade to `S` at time `i` (ms) and
    /// adds each `Out` row to the checksum with `$add`.
    macro_rules! driver {
        ($name:ident, $app:ident, |$c:ident, $row:ident| $add:block) => {
            pub fn $name(data: &[Trade], names: &[Str], latency: Option<&mut Vec<u64>>) -> Run {
                let started = Instant::now();
                let mut app = $app::App::new();
                app.set_playback(true);
                let published = Published::default();
                let sink = published.clone();
                let mut $c = Checksum::new();
                app.on_out(move |$row: &$app::Out| {
                    $add
                    $c.end_row();
                    sink.store(&$c);
                });
                let setup = started.elapsed().as_secs_f64();
                let sending = drive(
                    data,
                    |_, t| $app::S {
                        sym: Some(names[t.sym].clone()),
                        price: Some(t.price),
                        vol: Some(t.vol),
                    },
                    |i, event| {
                        if let Err(e) = app.send_s_at(i as i64, event) {
                            eprintln!("{e}");
                        }
                    },
                    latency,
                );
                Run {
                    checksum: published.load(),
                    seconds: setup + sending,
                }
            }
        };
    }

    fn text(c: &mut Checksum, s: &Option<Str>) {
        c.text(s.as_deref().unwrap_or(""));
    }

    driver!(w1, w1, |c, row| {
        text(&mut c, &row.sym);
        c.f64(row.notional.unwrap_or(f64::NAN));
    });
    driver!(w2, w2, |c, row| {
        text(&mut c, &row.sym);
        c.f64(row.ap.unwrap_or(f64::NAN));
    });
    driver!(w3, w3, |c, row| {
        text(&mut c, &row.sym);
        c.i64(row.v.unwrap_or(i64::MIN));
    });
    /// W4's input: even events go to `S`, odd ones to `T` (with `vol` as `qty`).
    enum W4In {
        S(w4::S),
        T(w4::T),
    }
    /// W4's driver.
    pub fn w4(data: &[Trade], names: &[Str], latency: Option<&mut Vec<u64>>) -> Run {
        let started = Instant::now();
        let mut app = w4::App::new();
        app.set_playback(true);
        let published = Published::default();
        let sink = published.clone();
        let mut c = Checksum::new();
        app.on_out(move |row: &w4::Out| {
            text(&mut c, &row.sym);
            c.f64(row.price.unwrap_or(f64::NAN));
            c.i64(row.qty.unwrap_or(i64::MIN));
            c.end_row();
            sink.store(&c);
        });
        let setup = started.elapsed().as_secs_f64();
        let sending = drive(
            data,
            |i, t| {
                if i % 2 == 0 {
                    W4In::S(w4::S {
                        sym: Some(names[t.sym].clone()),
                        price: Some(t.price),
                        vol: Some(t.vol),
                    })
                } else {
                    W4In::T(w4::T {
                        sym: Some(names[t.sym].clone()),
                        qty: Some(t.vol),
                    })
                }
            },
            |i, event| {
                let sent = match event {
                    W4In::S(e) => app.send_s_at(i as i64, e),
                    W4In::T(e) => app.send_t_at(i as i64, e),
                };
                if let Err(e) = sent {
                    eprintln!("{e}");
                }
            },
            latency,
        );
        Run {
            checksum: published.load(),
            seconds: setup + sending,
        }
    }
    driver!(w6, w6, |c, row| {
        text(&mut c, &row.sym);
        c.f64(row.m.unwrap_or(f64::NAN));
    });
    driver!(w5, w5, |c, row| {
        text(&mut c, &row.sym);
        c.f64(row.price.unwrap_or(f64::NAN));
    });
}

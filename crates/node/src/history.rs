//! The node's own short history, for the operations console: a sample of
//! its counters every [`SAMPLE_INTERVAL`] over the last hour, the finality
//! of recent blocks, and the recent warnings and errors it logged.
//!
//! Prometheus keeps long history (`config/grafana/`); this is what an
//! operator sees in `/console` with nothing else installed.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

pub use veil_client::types::{EventJson as Event, SampleJson as Sample};

/// How often the node samples its counters.
pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(5);
/// Samples kept: one hour.
pub const MAX_SAMPLES: usize = 720;
/// Warnings and errors kept.
pub const MAX_EVENTS: usize = 200;
/// Longest message kept per event (longer ones are cut).
pub const MAX_EVENT_CHARS: usize = 500;

/// Counters as read at one instant (the sampler's input).
#[derive(Clone, Copy, Debug, Default)]
pub struct Reading {
    /// Now, ms.
    pub time_ms: u64,
    /// Committed height.
    pub height: u64,
    /// Transactions committed, in all.
    pub committed: u64,
    /// Transactions refused, in all.
    pub rejected: u64,
    /// Mempool transactions.
    pub mempool_txs: u64,
    /// Mempool bytes.
    pub mempool_bytes: u64,
}

#[derive(Default)]
struct Inner {
    samples: VecDeque<Sample>,
    last: Option<Reading>,
    finality: Vec<u64>,
    blocks: u64,
}

/// The history.
pub struct History {
    inner: Mutex<Inner>,
    started: std::time::Instant,
}

impl Default for History {
    fn default() -> Self {
        Self {
            inner: Mutex::default(),
            started: std::time::Instant::now(),
        }
    }
}

impl History {
    /// How long since the node started.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A block was committed here at `now_ms`; its header says it was
    /// proposed at `timestamp_ms`.
    pub fn block_committed(&self, timestamp_ms: u64, now_ms: u64) {
        let mut i = self.lock();
        i.blocks += 1;
        if i.finality.len() < 100_000 {
            i.finality.push(now_ms.saturating_sub(timestamp_ms));
        }
    }

    /// Records a sample from `r` (the first reading only sets the base).
    pub fn sample(&self, r: Reading) {
        let mut i = self.lock();
        let Some(last) = i.last.replace(r) else {
            return;
        };
        let mut fin = std::mem::take(&mut i.finality);
        fin.sort_unstable();
        let dt_ms = r.time_ms.saturating_sub(last.time_ms).max(1);
        let committed = r.committed.saturating_sub(last.committed);
        let sample = Sample {
            time_ms: r.time_ms,
            height: r.height,
            committed_tps: to_f64(committed) * 1000.0 / to_f64(dt_ms),
            blocks: std::mem::take(&mut i.blocks),
            finality_p50_ms: fin.get(fin.len() / 2).copied(),
            finality_max_ms: fin.last().copied(),
            mempool_txs: r.mempool_txs,
            mempool_bytes: r.mempool_bytes,
            rejected: r.rejected.saturating_sub(last.rejected),
        };
        if i.samples.len() == MAX_SAMPLES {
            i.samples.pop_front();
        }
        i.samples.push_back(sample);
    }

    /// The samples, oldest first.
    pub fn samples(&self) -> Vec<Sample> {
        self.lock().samples.iter().cloned().collect()
    }
}

fn to_f64(v: u64) -> f64 {
    // Counts below 2^53 are exact.
    f64::from(u32::try_from(v.min(u64::from(u32::MAX))).unwrap_or(u32::MAX))
}

static EVENTS: Mutex<VecDeque<Event>> = Mutex::new(VecDeque::new());

/// Keeps a warning or error for the console (newest last; the oldest goes
/// when [`MAX_EVENTS`] are held).
pub fn record_event(event: Event) {
    let mut e = EVENTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if e.len() == MAX_EVENTS {
        e.pop_front();
    }
    let mut event = event;
    if event.message.chars().count() > MAX_EVENT_CHARS {
        event.message = event.message.chars().take(MAX_EVENT_CHARS).collect();
        event.message.push('…');
    }
    e.push_back(event);
}

/// The recent warnings and errors, newest first.
pub fn recent_events() -> Vec<Event> {
    EVENTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .rev()
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(t: u64, height: u64, committed: u64) -> Reading {
        Reading {
            time_ms: t,
            height,
            committed,
            ..Reading::default()
        }
    }

    #[test]
    fn samples_rates_and_finality() {
        let h = History::default();
        h.sample(reading(0, 0, 0));
        assert!(h.samples().is_empty(), "the first reading is the base");
        h.block_committed(1_000, 1_030);
        h.block_committed(2_000, 2_050);
        h.block_committed(3_000, 3_010);
        h.sample(reading(5_000, 3, 50));
        let s = h.samples();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].committed_tps, 10.0);
        assert_eq!(s[0].blocks, 3);
        assert_eq!(s[0].finality_p50_ms, Some(30));
        assert_eq!(s[0].finality_max_ms, Some(50));
        h.sample(reading(10_000, 3, 50));
        let s = h.samples();
        assert_eq!(s[1].blocks, 0);
        assert_eq!(s[1].finality_p50_ms, None);
        assert_eq!(s[1].committed_tps, 0.0);
    }

    #[test]
    fn keeps_an_hour() {
        let h = History::default();
        for t in 0..(MAX_SAMPLES + 11) {
            h.sample(reading(u64::try_from(t).unwrap() * 5000, 0, 0));
        }
        let s = h.samples();
        assert_eq!(s.len(), MAX_SAMPLES);
        assert_eq!(s[0].time_ms, 11 * 5000);
    }

    #[test]
    fn events_are_bounded_and_cut() {
        for n in 0..(MAX_EVENTS + 5) {
            record_event(Event {
                time_ms: u64::try_from(n).unwrap(),
                level: "WARN".into(),
                target: "t".into(),
                message: "x".repeat(MAX_EVENT_CHARS + 10),
            });
        }
        let e = recent_events();
        assert!(e.len() <= MAX_EVENTS);
        assert!(e[0].message.chars().count() == MAX_EVENT_CHARS + 1);
    }
}

//! Delivery from the outbox (work in progress).

/// What a bounded drain achieved.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DrainReport {
    pub sent: usize,
    pub pending: usize,
    pub dead: usize,
}

pub struct Dispatcher;

//! What a long experiment tells its caller while it runs (a progress bar, a log), without
//! knowing how it is shown.

/// Receives progress of an experiment; every method has a do-nothing default.
pub trait Progress {
    /// A new phase of `total` items starts (e.g. "in-dist", "OOD").
    fn phase(&mut self, _name: &str, _total: usize) {}
    /// One more item of the phase is done; `message` summarises the results so far.
    fn advance(&mut self, _message: &str) {}
    /// A line worth keeping (a target skipped, a row's result).
    fn log(&mut self, _line: &str) {}
    /// The phase is over.
    fn finish(&mut self) {}
}

/// Shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

//! Progress on a terminal: a spinner per long stage, drawn on standard
//! error and only when it is a terminal (indicatif hides itself otherwise),
//! so piped output and tests stay clean.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A long stage of a command, shown as a spinner with its message and the
/// time it has taken.
pub struct Stage {
    bar: ProgressBar,
}

impl Stage {
    /// Shows the spinner.
    pub fn start(message: String) -> Stage {
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(100));
        Stage { bar }
    }

    /// Ends the stage, leaving its line with the time taken.
    pub fn finish(self) {
        self.bar.finish();
    }
}

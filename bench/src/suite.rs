//! `bench -- all [--quick]`: every workload, at every scale `RESULTS.md`
//! reports, one after another, each in a process of its own (so peak
//! memory and caches don't leak from one into the next), each writing its
//! JSON into the results directory; then the plots are drawn from those
//! JSON files. `--quick` runs small sizes into `bench/results/quick/` as a
//! smoke check of the whole harness in a few minutes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::plots;
use crate::BoxError;

/// One run of a workload: its results file name and its arguments.
struct Step {
    name: &'static str,
    args: &'static [&'static str],
}

/// The full suite: the figures of `bench/RESULTS.md`.
const FULL: &[Step] = &[
    Step {
        name: "org_chart_10k",
        args: &[
            "org-chart",
            "--employees",
            "10000",
            "--moves",
            "500",
            "--recomputes",
            "3",
        ],
    },
    Step {
        name: "org_chart_100k",
        args: &[
            "org-chart",
            "--employees",
            "100000",
            "--moves",
            "500",
            "--recomputes",
            "3",
        ],
    },
    Step {
        name: "org_chart_1m",
        args: &[
            "org-chart",
            "--employees",
            "1000000",
            "--moves",
            "200",
            "--recomputes",
            "1",
        ],
    },
    Step {
        name: "store_100k",
        args: &["store", "--employees", "100000"],
    },
    Step {
        name: "ingest_stream_100k",
        args: &[
            "ingest-stream",
            "--employees",
            "100000",
            "--rates",
            "250,500,1000,2000",
            "--seconds",
            "5",
        ],
    },
    Step {
        name: "http_100k",
        args: &["http", "--employees", "100000"],
    },
    Step {
        name: "domains",
        args: &["domains"],
    },
    Step {
        name: "hospital_time_1m",
        args: &["hospital-time"],
    },
    Step {
        name: "oso_10k",
        args: &["oso", "--employees", "10000", "--checks", "400"],
    },
    Step {
        name: "oso_100k",
        args: &[
            "oso",
            "--employees",
            "100000",
            "--checks",
            "200",
            "--whos",
            "10",
        ],
    },
];

/// The quick suite: every workload, small.
const QUICK: &[Step] = &[
    Step {
        name: "org_chart_10k",
        args: &[
            "org-chart",
            "--employees",
            "10000",
            "--moves",
            "100",
            "--recomputes",
            "1",
        ],
    },
    Step {
        name: "org_chart_30k",
        args: &[
            "org-chart",
            "--employees",
            "30000",
            "--moves",
            "100",
            "--recomputes",
            "1",
        ],
    },
    Step {
        name: "store_10k",
        args: &[
            "store",
            "--employees",
            "10000",
            "--checks",
            "20000",
            "--whos",
            "1000",
            "--rounds",
            "1",
        ],
    },
    Step {
        name: "ingest_stream_10k",
        args: &[
            "ingest-stream",
            "--employees",
            "10000",
            "--rates",
            "250,1000",
            "--seconds",
            "2",
        ],
    },
    Step {
        name: "http_10k",
        args: &[
            "http",
            "--employees",
            "10000",
            "--probes",
            "2000",
            "--rate",
            "2000",
            "--seconds",
            "2",
            "--batches",
            "200",
        ],
    },
    Step {
        name: "domains",
        args: &["domains", "--quick"],
    },
    Step {
        name: "hospital_time_50k",
        args: &[
            "hospital-time",
            "--doctors",
            "100",
            "--patients",
            "5000",
            "--visits",
            "50000",
            "--checks",
            "5000",
            "--seconds",
            "2",
        ],
    },
    Step {
        name: "oso_3k",
        args: &[
            "oso",
            "--employees",
            "3000",
            "--checks",
            "60",
            "--whos",
            "5",
        ],
    },
];

/// Runs the suite into `out` (default: `bench/results`, or
/// `bench/results/quick` with `quick`), then draws the plots there.
pub fn run(quick: bool, out: Option<PathBuf>) -> Result<(), BoxError> {
    let out = out.unwrap_or_else(|| {
        let results = Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
        if quick {
            results.join("quick")
        } else {
            results
        }
    });
    std::fs::create_dir_all(&out)?;
    let exe = std::env::current_exe()?;
    let started = Instant::now();
    for step in if quick { QUICK } else { FULL } {
        let json = out.join(format!("{}.json", step.name));
        eprintln!(
            "== {} ({:.0} s so far)",
            step.name,
            started.elapsed().as_secs_f64()
        );
        let status = Command::new(&exe)
            .args(step.args)
            .arg("--json")
            .arg(&json)
            .status()?;
        if !status.success() {
            return Err(
                format!("{}: `{}` failed ({status})", step.name, step.args.join(" ")).into(),
            );
        }
    }
    let drawn = plots::draw(&out)?;
    for path in drawn {
        eprintln!("plot: {}", path.display());
    }
    eprintln!("suite done in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

//! The figures a suite measured, printed as a table and written as JSON.

use std::path::PathBuf;

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    pub name: String,
    pub value: f64,
    pub unit: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
}

impl Figure {
    pub fn new(name: &str, value: f64, unit: &str) -> Self {
        Figure {
            name: name.into(),
            value,
            unit: unit.into(),
            baseline: None,
        }
    }

    pub fn against(mut self, baseline: &Figure) -> Self {
        self.baseline = Some(Baseline {
            name: baseline.name.clone(),
            value: baseline.value,
            unit: baseline.unit.clone(),
        });
        self
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub suite: String,
    pub figures: Vec<Figure>,
}

impl Report {
    pub fn print(&self) {
        println!("\n{} suite", self.suite);
        println!(
            "{:<28} {:>14} {:<10} {:<22} {:>14} {:>7}",
            "figure", "value", "unit", "baseline", "value", "ratio"
        );
        for f in &self.figures {
            match &f.baseline {
                Some(b) => println!(
                    "{:<28} {:>14.3} {:<10} {:<22} {:>14.3} {:>7.2}",
                    f.name,
                    f.value,
                    f.unit,
                    b.name,
                    b.value,
                    if b.value != 0.0 {
                        f.value / b.value
                    } else {
                        0.0
                    }
                ),
                None => println!("{:<28} {:>14.3} {:<10}", f.name, f.value, f.unit),
            }
        }
    }

    /// Writes `target/bench/<suite>.json` and returns its path.
    pub fn write(&self) -> std::io::Result<PathBuf> {
        let dir = target_dir().join("bench");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{}.json", self.suite));
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&path, json)?;
        Ok(path)
    }
}

/// The workspace's target directory (honours `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
    }
}

/// The value at quantile `q` (0..=1) of unsorted samples.
pub fn quantile(samples: &mut [f64], q: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_by(f64::total_cmp);
    let index = ((samples.len() - 1) as f64 * q).round() as usize;
    samples[index]
}

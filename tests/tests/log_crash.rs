//! Crash test: a child process appends from many threads; it is killed with
//! SIGKILL at random moments. After each kill the log must hold every
//! acknowledged event at its acknowledged position, positions must be
//! gapless, and verify must be clean.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use leadline_storage::{EventLog, SledLog, SledOptions};
use rand::{Rng, SeedableRng};
use uuid::Uuid;

const ROUNDS: u64 = 20;
const THREADS: &str = "16";

#[test]
fn every_acknowledged_append_survives_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x01EA_D11E);
    let mut acknowledged: BTreeMap<u64, Uuid> = BTreeMap::new();
    for round in 0..ROUNDS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_log-crash-child"))
            .arg(dir.path())
            .arg(THREADS)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn child");
        // Drain stdout while the child runs, so it never blocks on a full pipe.
        let stdout = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<String>>()
        });
        std::thread::sleep(Duration::from_millis(rng.gen_range(60..400)));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        let lines = reader.join().expect("reader");
        let mut this_round = 0;
        for line in lines {
            // The last line may have been cut by the kill.
            let Some((position, id)) = line.split_once(' ') else {
                continue;
            };
            let (Ok(position), Ok(id)) = (position.parse::<u64>(), id.parse::<Uuid>()) else {
                continue;
            };
            let previous = acknowledged.insert(position, id);
            assert!(previous.is_none(), "position {position} acknowledged twice");
            this_round += 1;
        }

        let log = SledLog::open(dir.path(), SledOptions::default()).expect("reopen after kill");
        let last = log.last_position();
        if let Some((&max_acked, _)) = acknowledged.last_key_value() {
            assert!(
                last >= max_acked,
                "round {round}: log ends at {last}, {max_acked} was acknowledged"
            );
        }
        let mut found = 0;
        log.scan(0, last, &mut |view| {
            if let Some(id) = acknowledged.get(&view.position()) {
                assert_eq!(
                    view.id(),
                    *id,
                    "round {round}: position {} holds another event",
                    view.position()
                );
                found += 1;
            }
            std::ops::ControlFlow::Continue(())
        })
        .expect("scan");
        assert_eq!(
            found,
            acknowledged.len(),
            "round {round}: acknowledged events missing"
        );
        let report = log.verify().expect("verify");
        assert!(report.ok, "round {round}: {report:#?}");
        assert_eq!(report.events, last, "round {round}: positions not gapless");
        log.close().expect("close");
        eprintln!("round {round}: {this_round} acknowledged, log at {last}");
    }
    assert!(
        acknowledged.len() > 100,
        "the child barely appended: {}",
        acknowledged.len()
    );
}

//! The crowd simulator (`seckiller-crowd`) survives what it measures: the node its sale was set
//! up on dies mid-run and stays down, and the run still ends with a verdict.

use std::time::Duration;

use seckiller_e2e::Environment;
use seckiller_e2e::environment::ADMIN_PASSWORD;
use uuid::Uuid;

use crate::stage::{Options, Stage, servers_installed};

/// Orders in the environment's database, whatever the sale.
async fn orders_stored(environment: &Environment) -> i64 {
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    let db = environment.database().await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT count(*) AS n FROM orders",
        ))
        .await
        .unwrap()
        .unwrap();
    db.close().await.ok();
    row.try_get("", "n").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crowd_simulator_reaches_its_verdict_with_a_node_down() {
    if !servers_installed() {
        return;
    }
    let stage = Stage::new(Options {
        nodes: 2,
        ..Options::default()
    })
    .await;
    let crowd = tokio::task::spawn_blocking(seckiller_e2e::crowd_binary)
        .await
        .unwrap()
        .unwrap();
    let report = std::env::temp_dir().join(format!("seckiller-crowd-{}.json", Uuid::now_v7()));
    let mut command = std::process::Command::new(crowd);
    for api in &stage.apis {
        command.arg("--url").arg(api.base_url());
    }
    command
        .args(["--admin-password", ADMIN_PASSWORD])
        .args(["--buyers", "300", "--stock", "100", "--limit", "1"])
        .args([
            "--seconds",
            "8",
            "--opens-in",
            "2",
            "--pay-probability",
            "1",
        ])
        .args(["--settle-timeout", "20", "--quiet", "--json"])
        .arg(&report);
    let run = tokio::task::spawn_blocking(move || command.output());
    // The first node — the one the sale was set up on — dies once the sale is under way, and
    // stays down: half the buyers must move to the other, and the audit and the stats must
    // be read there.
    while !run.is_finished() {
        if orders_stored(&stage.environment).await >= 20 {
            stage.nodes[0].kill9().unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        stage.nodes[0].has_exited().unwrap(),
        "the crowd ended before the sale got under way"
    );
    let output = run.await.unwrap().unwrap();
    let json = std::fs::read_to_string(&report).unwrap_or_default();
    let _ = std::fs::remove_file(&report);
    assert!(
        output.status.success() && json.contains("\"correct\": true"),
        "seckiller-crowd with a node down: {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    eprintln!(
        "[crowd with a node down]\n{}",
        lines[lines.len().saturating_sub(12)..].join("\n")
    );
    let Stage {
        nodes, environment, ..
    } = stage;
    drop(nodes);
    environment.remove().await;
}

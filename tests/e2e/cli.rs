//! The `gridlet` program from a shell: operator commands on the data
//! directory, `gridlet sim` against a running `gridlet serve`, a graceful
//! SIGTERM, and clear errors.

use crate::harness::{GridletProcess, PASSWORD, gridlet_cli, gridlet_program};

#[tokio::test]
async fn operators_register_stations_and_tokens_and_see_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();

    let (ok, out, err) = gridlet_cli(data, &["station", "add", "CLI-1", "--password-stdin"], Some(&format!("{PASSWORD}\n"))).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("station CLI-1 added"), "{out}");
    let (ok, _, err) = gridlet_cli(data, &["station", "add", "CLI-1", "--password-stdin"], Some(&format!("{PASSWORD}\n"))).await;
    assert!(!ok);
    assert!(err.contains("exists already"), "{err}");
    let (ok, _, err) = gridlet_cli(data, &["station", "add", "CLI-2", "--password", "short"], None).await;
    assert!(!ok);
    assert!(err.contains("16 to 40"), "{err}");
    let (ok, _, err) = gridlet_cli(data, &["station", "add", "bad:id", "--generate-password"], None).await;
    assert!(!ok);
    assert!(err.contains("station id contains ':'"), "{err}");
    let (ok, out, err) = gridlet_cli(
        data,
        &["token", "add", "CLI-TAG", "--type", "ISO14443", "--expires", "2099-01-01T00:00:00Z", "--group", "FLEET"],
        None,
    )
    .await;
    assert!(ok, "{out}{err}");
    let (ok, _, err) = gridlet_cli(data, &["token", "add", "T2", "--expires", "tomorrow"], None).await;
    assert!(!ok);
    assert!(err.contains("RFC 3339"), "{err}");

    // a session through `gridlet sim` against `gridlet serve`
    let server = GridletProcess::start(data, &[]).await;
    let (ok, _, err) = gridlet_cli(data, &["station", "list"], None).await;
    assert!(!ok, "the store refuses a second process");
    assert!(err.contains("in use by another gridlet process"), "{err}");
    let url = server.url();
    let (ok, out, err) = gridlet_cli(
        data,
        &[
            "sim", "--url", &url, "--station", "CLI-1", "--password", PASSWORD, "--ocpp", "2.0.1", "-q", "session", "--token",
            "CLI-TAG", "--meter-values", "2", "--interval", "10ms",
        ],
        None,
    )
    .await;
    assert!(ok, "sim session failed: {out}{err}");

    // SIGTERM shuts the server down gracefully
    let pid = server.child.id().expect("pid").to_string();
    let status = tokio::process::Command::new("kill").args(["-TERM", &pid]).status().await.unwrap();
    assert!(status.success());
    let mut child = server.child;
    let exit = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait()).await.expect("stops on SIGTERM").unwrap();
    assert!(exit.success(), "{exit:?}");

    let (ok, out, err) = gridlet_cli(data, &["station", "list"], None).await;
    assert!(ok, "{err}");
    assert!(out.contains("CLI-1") && out.contains("Accepted") && out.contains("2.0.1"), "{out}");
    let (ok, out, _) = gridlet_cli(data, &["token", "list"], None).await;
    assert!(ok && out.contains("CLI-TAG") && out.contains("ISO14443") && out.contains("FLEET"), "{out}");
    let (ok, out, _) = gridlet_cli(data, &["transaction", "list"], None).await;
    assert!(ok && out.contains("CLI-1") && out.contains("Ended"), "{out}");
    let (ok, out, _) = gridlet_cli(data, &["transaction", "show", "1"], None).await;
    assert!(ok && out.contains("Energy.Active.Import.Register"), "{out}");
    let (ok, out, _) = gridlet_cli(data, &["station", "show", "CLI-1"], None).await;
    assert!(ok && out.contains("Connected") && out.contains("Booted"), "{out}");
}

#[tokio::test]
async fn configuration_mistakes_are_reported() {
    let output = tokio::process::Command::new(gridlet_program())
        .args(["config"])
        .env("GRIDLET_AUTH_UNKNOWN_STATIONS", "maybe")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("auth.unknown_stations"), "{stderr}");

    let output = tokio::process::Command::new(gridlet_program())
        .args(["config"])
        .env("GRIDLET_LISTEN", "0.0.0.0:7777")
        .output()
        .await
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("listen = \"0.0.0.0:7777\""), "{stdout}");
    assert!(stdout.contains("unknown_stations = \"pending\""), "{stdout}");
}

//! The window for real: `ponder-arena` under Xvfb runs a budget-8 configuration of all five
//! lanes to the end, on wgpu (Mesa's lavapipe) and on the CPU, prints each lane's outcome and
//! saves a screenshot to be looked at. Without `xvfb-run` these tests say so and pass, unless
//! `PONDER_REQUIRE_DESKTOP=1` (CI sets it).

use std::path::{Path, PathBuf};
use std::process::Command;

const CONFIG: &str = "level=1&index=2&budget=8&chains=2&width=2&seed=1";

fn have_xvfb() -> bool {
    let found = Command::new("sh").args(["-c", "command -v xvfb-run"]).output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var("PONDER_REQUIRE_DESKTOP").as_deref() != Ok("1"), "xvfb-run is missing and PONDER_REQUIRE_DESKTOP=1");
        eprintln!("note: xvfb-run is missing: the window is not tested here");
    }
    found
}

fn screenshot_path(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Runs the window on `backend`, checks every lane finished with a chosen answer and that the
/// screenshot is a PNG of the window.
fn all_lanes_finish(backend: &str, shot: &Path) {
    let _ = std::fs::remove_file(shot);
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/models");
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1600x1000x24", env!("CARGO_BIN_EXE_ponder-arena"), "--config", CONFIG, "--backend", backend])
        .arg("--models")
        .arg(&models)
        .args(["--run", "--exit-when-done", "--screenshot"])
        .arg(shot)
        .env("XDG_RUNTIME_DIR", std::env::var("XDG_RUNTIME_DIR").unwrap_or_else(|_| "/tmp".into()))
        .output()
        .expect("xvfb-run starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ponder-arena failed ({}):\n{stdout}\n{stderr}", out.status);
    for lane in ["best_of_n", "revisions", "beam", "lookahead", "compute_optimal"] {
        let line = stdout.lines().find(|l| l.starts_with(lane)).unwrap_or_else(|| panic!("no line for {lane}:\n{stdout}\n{stderr}"));
        assert!(line.contains("chosen") && line.contains("8 / 8 generations"), "{lane} did not finish its budget: {line}");
    }
    let image = image::open(shot).unwrap_or_else(|e| panic!("{}: {e}\n{stdout}\n{stderr}", shot.display()));
    assert!(image.width() >= 800 && image.height() >= 600, "a {}×{} screenshot", image.width(), image.height());
    eprintln!("screenshot: {}\n{stdout}", shot.display());
}

#[test]
fn the_window_runs_all_five_lanes_on_wgpu() {
    if have_xvfb() {
        all_lanes_finish("wgpu", &screenshot_path("arena-wgpu.png"));
    }
}

#[test]
fn the_window_runs_all_five_lanes_on_the_cpu() {
    if have_xvfb() {
        all_lanes_finish("cpu", &screenshot_path("arena-cpu.png"));
    }
}

#[test]
fn a_bad_link_is_refused_by_name() {
    let out = Command::new(env!("CARGO_BIN_EXE_ponder-arena")).args(["--config", "budget=3&color=red"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("budget") && stderr.contains("color"), "{stderr}");
}

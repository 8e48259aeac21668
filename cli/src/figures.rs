//! The experiment's figures as SVG: line charts (accuracy against budget on a log axis) in
//! panels, grouped bars and a confusion grid. Hand-written because the charting crates want
//! font files to lay out text, and SVG leaves text to the viewer.

use engine::search::{Family, Recipe, Selection};
use engine::study::StudyReport;
use engine::study::report::{Allowed, BinKind};
use std::fmt::Write;

const PALETTE: [&str; 11] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#000000"];
const PANEL_W: f64 = 300.0;
const PANEL_H: f64 = 230.0;
const LEGEND_H: f64 = 20.0;

pub struct Series {
    pub name: String,
    /// (x, y, low, high): the band spans the 95% interval.
    pub points: Vec<(f64, f64, f64, f64)>,
    pub dashed: bool,
}

pub struct Panel {
    pub title: String,
    pub series: Vec<Series>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Panels of accuracy (0–1) against budget (log2 axis), `cols` to a row, one shared legend.
pub fn line_panels(title: &str, x_label: &str, budgets: &[usize], panels: &[Panel], cols: usize) -> String {
    let rows = panels.len().div_ceil(cols.max(1));
    let names: Vec<&str> = panels.first().map(|p| p.series.iter().map(|s| s.name.as_str()).collect()).unwrap_or_default();
    let legend_rows = names.len().div_ceil(3);
    let width = PANEL_W * cols as f64 + 20.0;
    let height = 40.0 + PANEL_H * rows as f64 + LEGEND_H * legend_rows as f64 + 10.0;
    let mut s = header(width, height, title);
    let (x0, x1) = ((*budgets.first().unwrap_or(&1) as f64).log2(), (*budgets.last().unwrap_or(&2) as f64).log2().max(1.0));
    for (i, panel) in panels.iter().enumerate() {
        let (ox, oy) = (10.0 + PANEL_W * (i % cols) as f64, 40.0 + PANEL_H * (i / cols) as f64);
        let (l, t, w, h) = (ox + 42.0, oy + 22.0, PANEL_W - 58.0, PANEL_H - 62.0);
        let px = |x: f64| l + (x.log2() - x0) / (x1 - x0).max(1e-9) * w;
        let py = |y: f64| t + h - y.clamp(0.0, 1.0) * h;
        let _ = write!(s, r#"<text x="{}" y="{}" text-anchor="middle" font-weight="bold">{}</text>"#, l + w / 2.0, oy + 14.0, esc(&panel.title));
        for k in 0..=4 {
            let y = k as f64 / 4.0;
            grid_line(&mut s, l, w, py(y), y);
        }
        for &b in budgets {
            let x = px(b as f64);
            let _ = write!(s, r##"<line x1="{x}" x2="{x}" y1="{t}" y2="{}" stroke="#eee"/><text x="{x}" y="{}" text-anchor="middle" font-size="10">{b}</text>"##, t + h, t + h + 12.0);
        }
        let _ = write!(s, r#"<text x="{}" y="{}" text-anchor="middle" font-size="10">{}</text>"#, l + w / 2.0, t + h + 26.0, esc(x_label));
        for (j, series) in panel.series.iter().enumerate() {
            let color = PALETTE[j % PALETTE.len()];
            if series.points.len() > 1 && series.points.iter().any(|p| p.3 > p.2) {
                let mut d = String::new();
                for (k, p) in series.points.iter().enumerate() {
                    let _ = write!(d, "{}{:.1},{:.1} ", if k == 0 { "M" } else { "L" }, px(p.0), py(p.3));
                }
                for p in series.points.iter().rev() {
                    let _ = write!(d, "L{:.1},{:.1} ", px(p.0), py(p.2));
                }
                let _ = write!(s, r#"<path d="{d}Z" fill="{color}" opacity="0.12"/>"#);
            }
            let pts: Vec<String> = series.points.iter().map(|p| format!("{:.1},{:.1}", px(p.0), py(p.1))).collect();
            let dash = if series.dashed { r#" stroke-dasharray="5 3""# } else { "" };
            let _ = write!(s, r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="1.8"{dash}><title>{}</title></polyline>"#, pts.join(" "), esc(&series.name));
            for p in &series.points {
                let _ = write!(s, r#"<circle cx="{:.1}" cy="{:.1}" r="2.2" fill="{color}"><title>{}: N={} {:.1}%</title></circle>"#, px(p.0), py(p.1), esc(&series.name), p.0, p.1 * 100.0);
            }
        }
    }
    let ly = 40.0 + PANEL_H * rows as f64;
    for (j, name) in names.iter().enumerate() {
        let (lx, y) = (20.0 + (j % 3) as f64 * (width - 20.0) / 3.0, ly + LEGEND_H * (j / 3) as f64 + 10.0);
        let dashed = panels[0].series[j].dashed;
        let _ = write!(
            s,
            r#"<line x1="{lx}" x2="{}" y1="{y}" y2="{y}" stroke="{}" stroke-width="2.5"{}/><text x="{}" y="{}" font-size="11">{}</text>"#,
            lx + 22.0,
            PALETTE[j % PALETTE.len()],
            if dashed { r#" stroke-dasharray="5 3""# } else { "" },
            lx + 28.0,
            y + 4.0,
            esc(name)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// A horizontal grid line at pixel height `y_px`, labelled with the accuracy `y`.
fn grid_line(s: &mut String, l: f64, w: f64, y_px: f64, y: f64) {
    let _ = write!(s, r##"<line x1="{l}" x2="{x2}" y1="{y_px}" y2="{y_px}" stroke="#ddd"/><text x="{tx}" y="{ty}" text-anchor="end" font-size="10">{p:.0}%</text>"##, x2 = l + w, tx = l - 4.0, ty = y_px + 3.0, p = y * 100.0);
}

fn header(width: f64, height: f64, title: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/><text x="{}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{}</text>"#,
        width / 2.0,
        esc(title)
    )
}

/// A bar's value and its 95% interval, where known (all 0–1).
pub type Bar = (f64, Option<(f64, f64)>);

/// A panel of grouped bars: its title, the group labels, and each series' values per group.
pub struct BarPanel {
    pub title: String,
    pub groups: Vec<String>,
    pub series: Vec<(String, Vec<Option<Bar>>)>,
}

/// Grouped bars: one group per label, one bar per series (values 0–1, None drawn as a gap),
/// with a whisker over each bar's interval.
pub fn bar_panels(title: &str, panels: &[BarPanel]) -> String {
    let width = PANEL_W * panels.len() as f64 + 20.0;
    let legend_rows = panels.first().map(|p| p.series.len()).unwrap_or(0) as f64;
    let height = 40.0 + PANEL_H + LEGEND_H * legend_rows + 10.0;
    let mut s = header(width, height, title);
    for (i, BarPanel { title: ptitle, groups, series }) in panels.iter().enumerate() {
        let ox = 10.0 + PANEL_W * i as f64;
        let (l, t, w, h) = (ox + 42.0, 62.0, PANEL_W - 58.0, PANEL_H - 62.0);
        let py = |y: f64| t + h - y.clamp(0.0, 1.0) * h;
        let _ = write!(s, r#"<text x="{}" y="54" text-anchor="middle" font-weight="bold">{}</text>"#, l + w / 2.0, esc(ptitle));
        for k in 0..=4 {
            let y = k as f64 / 4.0;
            grid_line(&mut s, l, w, py(y), y);
        }
        let gw = w / groups.len().max(1) as f64;
        let bw = gw * 0.8 / series.len().max(1) as f64;
        for (g, label) in groups.iter().enumerate() {
            let gx = l + gw * g as f64 + gw * 0.1;
            let _ = write!(s, r#"<text x="{}" y="{}" text-anchor="middle" font-size="10">{}</text>"#, gx + gw * 0.4, t + h + 12.0, esc(label));
            for (j, (name, values)) in series.iter().enumerate() {
                if let Some((v, interval)) = values.get(g).copied().flatten() {
                    let _ = write!(
                        s,
                        r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{} {}: {:.1}%</title></rect>"#,
                        gx + bw * j as f64,
                        py(v),
                        bw - 1.0,
                        t + h - py(v),
                        PALETTE[j % PALETTE.len()],
                        esc(name),
                        esc(label),
                        v * 100.0
                    );
                    if let Some((low, high)) = interval {
                        let x = gx + bw * j as f64 + (bw - 1.0) / 2.0;
                        let _ = write!(s, r##"<line x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}" stroke="#333" stroke-width="1.2"><title>95% interval {:.1}–{:.1}%</title></line>"##, py(low), py(high), low * 100.0, high * 100.0);
                    }
                }
            }
        }
    }
    if let Some(first) = panels.first() {
        for (j, (name, _)) in first.series.iter().enumerate() {
            let lx = 20.0;
            let y = 40.0 + PANEL_H + 10.0 + LEGEND_H * j as f64;
            let _ = write!(s, r#"<rect x="{lx}" y="{}" width="14" height="10" fill="{}"/><text x="{}" y="{}" font-size="11">{}</text>"#, y - 5.0, PALETTE[j % PALETTE.len()], lx + 20.0, y + 4.0, esc(name));
        }
    }
    s.push_str("</svg>\n");
    s
}

/// Oracle against predicted bins: a grid of counts, shaded by share of the row.
pub fn confusion(title: &str, counts: &[Vec<usize>]) -> String {
    let cell = 46.0;
    let (l, t) = (120.0, 70.0);
    let n = counts.len() as f64;
    let mut s = header(l + cell * n + 40.0, t + cell * n + 50.0, title);
    let _ = write!(s, r#"<text x="{}" y="{}" text-anchor="middle">predicted bin (PRM's mean final score)</text>"#, l + cell * n / 2.0, t - 26.0);
    let _ = write!(s, r#"<text x="20" y="{}" >oracle bin</text><text x="20" y="{}" font-size="10">(pass@1)</text>"#, t + cell * n / 2.0, t + cell * n / 2.0 + 14.0);
    for (i, row) in counts.iter().enumerate() {
        let total = row.iter().sum::<usize>().max(1) as f64;
        let _ = write!(s, r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#, l - 8.0, t + cell * i as f64 + cell / 2.0 + 4.0, i + 1);
        for (j, &c) in row.iter().enumerate() {
            let share = c as f64 / total;
            let (x, y) = (l + cell * j as f64, t + cell * i as f64);
            let _ = write!(
                s,
                r##"<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="rgb(31,119,180)" fill-opacity="{:.2}" stroke="#fff"/><text x="{}" y="{}" text-anchor="middle" fill="{}">{c}</text>"##,
                0.1 + 0.9 * share,
                x + cell / 2.0,
                y + cell / 2.0 + 4.0,
                if share > 0.5 { "white" } else { "black" }
            );
        }
    }
    for j in 0..counts.len() {
        let _ = write!(s, r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#, l + cell * j as f64 + cell / 2.0, t - 8.0, j + 1);
    }
    s.push_str("</svg>\n");
    s
}

fn cell_series(r: &StudyReport, config: Recipe, label: &str, bin: usize, dashed: bool) -> Series {
    let points = r
        .sweeps
        .cells
        .iter()
        .filter(|c| c.config.0 == config && c.bin == bin)
        .map(|c| {
            let (low, high) = c.interval.map_or((c.accuracy, c.accuracy), |i| (i.low, i.high));
            (c.budget as f64, c.accuracy, low, high)
        })
        .collect();
    Series { name: label.into(), points, dashed }
}

fn bin_title(bin: usize) -> String {
    match bin {
        0 => "all bins".into(),
        1 => "bin 1 (easiest)".into(),
        5 => "bin 5 (hardest)".into(),
        b => format!("bin {b}"),
    }
}

/// Every figure of a report: (file name, SVG).
pub fn all(r: &StudyReport) -> Vec<(&'static str, String)> {
    let budgets = &r.sweeps.budgets;
    let family_panels = |families: &[Family]| -> Vec<Panel> {
        (1..=5)
            .chain([0])
            .map(|bin| Panel {
                title: bin_title(bin),
                series: r
                    .sweeps
                    .configs
                    .iter()
                    .filter(|c| families.contains(&c.family) || c.config == Recipe::BestOfN { selection: Selection::Weighted })
                    .map(|c| cell_series(r, c.config, &c.label, bin, c.family == Family::Parallel))
                    .collect(),
            })
            .collect()
    };
    let mut out = vec![
        ("sweeps.svg", line_panels("Parallel and search strategies per oracle difficulty bin (band: 95% interval over problems)", "generations (budget)", budgets, &family_panels(&[Family::Parallel, Family::Search]), 3)),
        ("revisions.svg", line_panels("Sequential revisions from all parallel to all sequential, per oracle bin (band: 95% interval)", "generations (budget)", budgets, &family_panels(&[Family::Revisions]), 3)),
        ("difficulty.svg", confusion("Oracle against predicted difficulty bins (problem counts)", &r.difficulty.confusion)),
    ];
    let co_panels: Vec<Panel> = BinKind::ALL
        .iter()
        .map(|kind| {
            // "all" last, so it is drawn over the family curves it often equals.
            let mut curves: Vec<_> = r.compute_optimal.curves.iter().filter(|c| c.bins == *kind).collect();
            curves.sort_by_key(|c| c.family == Allowed::All);
            let mut series: Vec<Series> = curves
                .into_iter()
                .map(|c| Series {
                    name: format!("compute-optimal ({})", c.family),
                    points: budgets
                        .iter()
                        .enumerate()
                        .zip(&c.overall)
                        .map(|((i, &b), &a)| {
                            let (low, high) = c.overall_interval.get(i).copied().flatten().map_or((a, a), |v| (v.low, v.high));
                            (b as f64, a, low, high)
                        })
                        .collect(),
                    dashed: false,
                })
                .collect();
            let mut bon = cell_series(r, Recipe::BestOfN { selection: Selection::Weighted }, "best-of-N weighted", 0, true);
            if bon.points.is_empty() {
                bon.points = budgets.iter().zip(&r.compute_optimal.best_of_n_weighted).map(|(&b, &a)| (b as f64, a, a, a)).collect();
            }
            series.push(bon);
            Panel { title: format!("{kind} bins"), series }
        })
        .collect();
    out.push(("compute_optimal.svg", line_panels("Compute-optimal against best-of-N (band: 95% interval)", "generations (budget)", budgets, &co_panels, 2)));
    if let Some(f) = &r.flops_matched {
        let panels: Vec<BarPanel> = f
            .rows
            .iter()
            .map(|row| {
                let groups = row.by_bin.iter().map(|b| format!("bin {}", b.bin)).collect();
                let budget = row.budget.map(|b| format!("N={b}")).unwrap_or("no budget".into());
                let whisker = |i: Option<engine::study::interval::Interval>| i.map(|i| (i.low, i.high));
                let large = |b: &engine::study::report::FlopsBin| f.large_greedy_all_problems.get(b.bin - 1).copied().unwrap_or(b.large_greedy);
                let series = vec![
                    (
                        "small model + best-of-N weighted at the FLOPs-matched budget (whole bin)".to_string(),
                        row.by_bin.iter().map(|b| b.best_of_n_all_problems.or(b.test_time).map(|v| (v, whisker(b.best_of_n_interval)))).collect(),
                    ),
                    (format!("{:.1}× larger model, greedy", f.params_ratio), row.by_bin.iter().map(|b| Some((large(b), whisker(b.large_interval)))).collect()),
                ];
                BarPanel { title: format!("R = {} (×{:.0} → {budget})", row.r, row.multiplier), groups, series }
            })
            .collect();
        out.push(("flops_matched.svg", bar_panels("FLOPs-matched: the small model with test-time compute against a larger model (whiskers: 95% intervals)", &panels)));
    }
    out
}

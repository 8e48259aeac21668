//! Line charts of accuracy (0–100%) over a row of evenly spaced places (budgets on a log axis,
//! or difficulty bins), drawn as standalone SVG: styles are attributes and the legend is
//! inside, so a downloaded figure looks as it does in the page. Each comes with its downloads.

use crate::views::figure::{Downloads, Source};
use leptos::prelude::*;

pub struct Point {
    /// Index into the chart's places.
    pub at: usize,
    pub accuracy: f64,
    /// A 95% interval, drawn as a band.
    pub band: Option<(f64, f64)>,
    /// What hovering the point says.
    pub title: String,
}

pub struct Series {
    pub name: String,
    pub color: &'static str,
    pub points: Vec<Point>,
}

/// A chart with `heading` over `places` (named on the x axis, which `axis` names), one line
/// per series, in a figure with SVG and PNG downloads. `id` names the element and the files.
pub fn accuracy_chart(id: String, heading: String, places: Vec<String>, axis: &str, series: Vec<Series>) -> impl IntoView + use<> {
    let legend_rows = series.len() as f64;
    let (w, left, right, top, bottom) = (360.0, 40.0, 12.0, 28.0, 36.0);
    let plot_h = 170.0;
    let h = top + plot_h + bottom + 14.0 * legend_rows + 4.0;
    let steps = (places.len().max(2) - 1) as f64;
    let x = move |i: usize| left + i as f64 / steps * (w - left - right);
    let y = move |acc: f64| top + (1.0 - acc.clamp(0.0, 1.0)) * plot_h;
    let grid = [0.0, 0.25, 0.5, 0.75, 1.0]
        .into_iter()
        .map(|a| {
            view! {
                <line x1=left x2=w - right y1=y(a) y2=y(a) stroke="#e3e5ea" />
                <text x=left - 4.0 y=y(a) + 4.0 text-anchor="end" font-size="10" fill="#555">{format!("{:.0}%", a * 100.0)}</text>
            }
        })
        .collect_view();
    let ticks = places
        .iter()
        .enumerate()
        .map(|(i, p)| view! { <text x=x(i) y=top + plot_h + 14.0 text-anchor="middle" font-size="10" fill="#555">{p.clone()}</text> })
        .collect_view();
    let bands = series
        .iter()
        .filter_map(|s| {
            let banded: Vec<(usize, (f64, f64))> = s.points.iter().filter_map(|p| p.band.map(|b| (p.at, b))).collect();
            (banded.len() >= 2).then(|| {
                let upper = banded.iter().map(|&(i, (_, hi))| format!("{:.1},{:.1}", x(i), y(hi)));
                let lower = banded.iter().rev().map(|&(i, (lo, _))| format!("{:.1},{:.1}", x(i), y(lo)));
                let points = upper.chain(lower).collect::<Vec<_>>().join(" ");
                view! { <polygon points=points fill=s.color fill-opacity="0.13" stroke="none" /> }
            })
        })
        .collect_view();
    let lines = series
        .iter()
        .map(|s| {
            let path = s.points.iter().map(|p| format!("{:.1},{:.1}", x(p.at), y(p.accuracy))).collect::<Vec<_>>().join(" ");
            let dots = s
                .points
                .iter()
                .map(|p| view! { <circle cx=x(p.at) cy=y(p.accuracy) r="3.5" fill=s.color tabindex="0"><title>{p.title.clone()}</title></circle> })
                .collect_view();
            view! { <polyline points=path fill="none" stroke=s.color stroke-width="2" />{dots} }
        })
        .collect_view();
    let legend_top = top + plot_h + bottom;
    let legend = series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let ly = legend_top + 14.0 * i as f64;
            view! {
                <line x1=left x2=left + 16.0 y1=ly y2=ly stroke=s.color stroke-width="3" />
                <text x=left + 22.0 y=ly + 4.0 font-size="11" fill="#222">{s.name.clone()}</text>
            }
        })
        .collect_view();
    let file = id.clone();
    let label = heading.clone();
    view! {
        <figure class="chart">
            <svg id=id.clone() xmlns="http://www.w3.org/2000/svg" width=w height=h viewBox=format!("0 0 {w} {h}") font-family="sans-serif" role="img" aria-label=label>
                <rect width="100%" height="100%" fill="white" />
                <text x=left y="16" font-size="13" font-weight="bold" fill="#111">{heading}</text>
                {grid}
                <line x1=left x2=left y1=top y2=top + plot_h stroke="#888" />
                <line x1=left x2=w - right y1=top + plot_h y2=top + plot_h stroke="#888" />
                {ticks}
                <text x=(left + w - right) / 2.0 y=top + plot_h + 28.0 text-anchor="middle" font-size="11" fill="#333">{axis.to_string()}</text>
                {bands}
                {lines}
                {legend}
            </svg>
            <Downloads source=Source::Inline(id) name=file />
        </figure>
    }
}

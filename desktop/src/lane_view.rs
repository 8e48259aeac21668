//! One lane in the window, as the page draws it: its title, the compute spent, the
//! compute-optimal guess, the tally and the pick, and the samples, each step on the colour of
//! its verifier score and marked ✖ where the exact checker finds it wrong.

use arena::lane::{LaneState, Sample};
use arena::text::{compute_line, lane_text, prediction_line, score_rgb, step_title};
use eframe::egui::{self, Color32, RichText};
use engine::search::StrategyName;

/// Samples drawn per lane; the rest are counted (a budget of 256 would be a wall of text).
const MAX_DRAWN: usize = 32;
const LANE_WIDTH: f32 = 228.0;

pub fn lane(ui: &mut egui::Ui, strategy: StrategyName, state: &LaneState, true_answer: &str) {
    let (title, explain) = lane_text(strategy);
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(LANE_WIDTH);
        ui.vertical(|ui| {
            ui.label(RichText::new(title).strong().size(15.0));
            ui.label(RichText::new(explain).small());
            ui.label(RichText::new(compute_line(state)).small());
            if let Some(p) = &state.prediction {
                ui.label(RichText::new(prediction_line(p)).monospace().size(10.0).color(Color32::from_rgb(90, 60, 140)));
            }
            if let Some(e) = &state.error {
                ui.colored_label(Color32::RED, e);
            }
            if let Some(chosen) = &state.chosen {
                egui::Grid::new((format!("{strategy:?}"), "tally")).striped(true).show(ui, |ui| {
                    ui.label(RichText::new("answer").strong());
                    ui.label(RichText::new("votes").strong());
                    ui.label(RichText::new("summed score").strong());
                    ui.end_row();
                    for t in &chosen.tally {
                        ui.label(if t.answer == true_answer { format!("{} ✔", t.answer) } else { t.answer.clone() });
                        ui.label(t.votes.to_string());
                        ui.label(format!("{:.2}", t.weight));
                        ui.end_row();
                    }
                });
                let answer = chosen.answer.as_deref().unwrap_or("none");
                let (verdict, colour) = if chosen.correct { ("right", Color32::DARK_GREEN) } else { ("wrong", Color32::RED) };
                ui.label(RichText::new(format!("chosen {answer} · true {true_answer} · {verdict}")).strong().color(colour));
            } else if state.running {
                ui.label(RichText::new("running…").italics());
            }
            egui::ScrollArea::vertical().id_salt((format!("{strategy:?}"), "samples")).max_height(520.0).show(ui, |ui| {
                let chains = state.chains();
                if chains.is_empty() {
                    for s in state.samples.iter().take(MAX_DRAWN) {
                        sample(ui, s, None);
                    }
                } else {
                    for (c, chain) in chains.iter().enumerate() {
                        for (a, &id) in chain.iter().enumerate() {
                            sample(ui, &state.samples[id], Some(format!("chain {} · attempt {}", c + 1, a + 1)));
                        }
                    }
                }
                let hidden = state.samples.len().saturating_sub(MAX_DRAWN);
                if chains.is_empty() && hidden > 0 {
                    ui.label(RichText::new(format!("… and {hidden} more samples")).small());
                }
            });
            if let Some(t) = state.seconds {
                ui.label(RichText::new(format!("finished in {t:.1} s")).small());
            }
        });
    });
}

fn sample(ui: &mut egui::Ui, s: &Sample, heading: Option<String>) {
    let stroke = match &s.finished {
        Some(f) if f.correct => egui::Stroke::new(1.5, Color32::DARK_GREEN),
        Some(_) => egui::Stroke::new(1.5, Color32::RED),
        None => egui::Stroke::new(1.0, Color32::GRAY),
    };
    egui::Frame::new().stroke(stroke).inner_margin(3.0).corner_radius(3.0).show(ui, |ui| {
        ui.spacing_mut().item_spacing.y = 1.0;
        ui.set_width(LANE_WIDTH - 20.0);
        let parent = s.parent.map(|p| format!(" (from #{p})")).unwrap_or_default();
        let pruned = if s.pruned { " · pruned" } else { "" };
        ui.label(RichText::new(heading.unwrap_or_else(|| format!("#{}{parent}{pruned}", s.id))).small().weak());
        for (text, step) in s.lines() {
            let mut line = RichText::new(text).monospace().size(12.0);
            if s.pruned {
                line = line.strikethrough().weak();
            }
            let fill = step.score.map(|v| {
                let [r, g, b] = score_rgb(v);
                Color32::from_rgb(r, g, b)
            });
            egui::Frame::new().fill(fill.unwrap_or(Color32::TRANSPARENT)).show(ui, |ui| {
                ui.set_width(LANE_WIDTH - 28.0);
                ui.horizontal(|ui| {
                    ui.label(line.color(Color32::BLACK)).on_hover_text(step_title(&step));
                    if step.correct == Some(false) {
                        ui.label(RichText::new("✖").color(Color32::RED).strong());
                    }
                });
            });
        }
        if let Some(f) = &s.finished {
            ui.label(RichText::new(format!("→ {} (score {:.2})", f.answer.as_deref().unwrap_or("no answer"), f.score)).small().monospace());
        }
    });
}

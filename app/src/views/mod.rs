//! What the page draws: the header with the engine's status and the tabs ([`app`]), and one
//! view per tab, each over the page's state ([`crate::state`]).

pub mod app;
mod arena;
mod bench;
mod chart;
mod controls;
mod figure;
mod lane;
mod lessons;
mod study;
mod sweep;

/// A panic on the page itself: say so in a banner written straight into the document (the
/// reactive views may be what broke) with what to do.
pub fn show_fault(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(banner) = document.create_element("p") else { return };
    banner.set_class_name("banner fault");
    let _ = banner.set_attribute("role", "alert");
    let _ = banner.set_attribute("data-testid", "page-fault");
    banner.set_text_content(Some(&format!(
        "Something in the page broke ({message}). The models and your settings are safe: if a control stops responding, reload the page (the link keeps your settings)."
    )));
    if let Some(body) = document.body() {
        let _ = body.prepend_with_node_1(&banner);
    }
}

//! Every plot the page draws can be taken away: as SVG (its source, standalone) and as PNG
//! (the same SVG drawn on a canvas at twice its size, on white).

use crate::util::sleep_ms;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Where a figure's SVG is.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// An `<svg>` the page drew, by its element id.
    Inline(String),
    /// An SVG file the page shows in an `<img>`, by its URL.
    File(String),
}

fn js_error(e: JsValue) -> String {
    e.as_string().or_else(|| js_sys::JSON::stringify(&e).ok().and_then(|s| s.as_string())).unwrap_or_else(|| format!("{e:?}"))
}

fn document() -> Result<web_sys::Document, String> {
    web_sys::window().and_then(|w| w.document()).ok_or_else(|| "no document".to_string())
}

async fn svg_of(source: &Source) -> Result<String, String> {
    match source {
        Source::Inline(id) => {
            let svg = document()?.get_element_by_id(id).ok_or_else(|| format!("the figure {id} is not on the page"))?.outer_html();
            // An <svg> built in the page may lack the namespace a standalone file needs.
            Ok(if svg.contains("xmlns=") { svg } else { svg.replacen("<svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"", 1) })
        }
        Source::File(url) => {
            let window = web_sys::window().ok_or("no window")?;
            let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url)).await.map_err(js_error)?.unchecked_into();
            if !response.ok() {
                return Err(format!("the server answered {} for {url}", response.status()));
            }
            let text = JsFuture::from(response.text().map_err(js_error)?).await.map_err(js_error)?;
            text.as_string().ok_or_else(|| format!("{url} is not text"))
        }
    }
}

/// Offers `blob` as a download named `file`.
fn save(blob: &web_sys::Blob, file: &str) -> Result<(), String> {
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(js_error)?;
    let document = document()?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a").map_err(js_error)?.unchecked_into();
    a.set_href(&url);
    a.set_download(file);
    let body = document.body().ok_or("no body")?;
    body.append_child(&a).map_err(js_error)?;
    a.click();
    a.remove();
    leptos::task::spawn_local(async move {
        sleep_ms(10_000).await;
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    Ok(())
}

fn svg_blob(svg: &str) -> Result<web_sys::Blob, String> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("image/svg+xml");
    let parts = js_sys::Array::of1(&JsValue::from_str(svg));
    web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(js_error)
}

/// The SVG drawn at twice its size on a white canvas, as a PNG.
async fn png_of(svg: &str) -> Result<web_sys::Blob, String> {
    let img = web_sys::HtmlImageElement::new().map_err(js_error)?;
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        img.set_onload(Some(&resolve));
        img.set_onerror(Some(&reject));
    });
    img.set_src(&format!("data:image/svg+xml;charset=utf-8,{}", js_sys::encode_uri_component(svg)));
    JsFuture::from(loaded).await.map_err(|_| "the figure could not be drawn as an image".to_string())?;
    let (w, h) = (img.natural_width().max(1), img.natural_height().max(1));
    let canvas: web_sys::HtmlCanvasElement = document()?.create_element("canvas").map_err(js_error)?.unchecked_into();
    canvas.set_width(w * 2);
    canvas.set_height(h * 2);
    let ctx: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").map_err(js_error)?.ok_or("no 2D canvas")?.unchecked_into();
    ctx.set_fill_style_str("white");
    ctx.fill_rect(0.0, 0.0, (w * 2) as f64, (h * 2) as f64);
    ctx.draw_image_with_html_image_element_and_dw_and_dh(&img, 0.0, 0.0, (w * 2) as f64, (h * 2) as f64).map_err(js_error)?;
    let blob = js_sys::Promise::new(&mut |resolve, reject| {
        if let Err(e) = canvas.to_blob(&resolve) {
            let _ = reject.call1(&JsValue::NULL, &e);
        }
    });
    let blob = JsFuture::from(blob).await.map_err(js_error)?;
    blob.dyn_into::<web_sys::Blob>().map_err(|_| "the canvas made no PNG".to_string())
}

/// The SVG and PNG buttons under a figure; `name` names the files (and the test ids).
#[component]
pub fn Downloads(source: Source, name: String) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let source = StoredValue::new(source);
    let file = StoredValue::new(name.clone());
    let download = move |png: bool| {
        error.set(None);
        leptos::task::spawn_local(async move {
            let name = file.get_value();
            let result = async {
                let svg = svg_of(&source.get_value()).await?;
                if png { save(&png_of(&svg).await?, &format!("{name}.png")) } else { save(&svg_blob(&svg)?, &format!("{name}.svg")) }
            }
            .await;
            if let Err(e) = result {
                error.set(Some(format!("The figure could not be saved: {e}.")));
            }
        });
    };
    view! {
        <div class="downloads">
            <span>"download "</span>
            <button data-testid=format!("download-svg-{name}") on:click=move |_| download(false)>"SVG"</button>
            <button data-testid=format!("download-png-{name}") on:click=move |_| download(true)>"PNG"</button>
            {move || error.get().map(|e| view! { <span class="error" role="alert">{e}</span> })}
        </div>
    }
}

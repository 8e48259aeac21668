//! Ponder's arena, apart from any UI: the settings a run is asked for and their link syntax
//! ([`settings`], [`config`]), each lane's state folded from the engine's events ([`lane`]),
//! running the lanes on the engine ([`run`]), the words and colours both front ends show
//! ([`text`]), and the lessons' chapters ([`lessons`]). The web app (`app/`) and the desktop
//! app (`desktop/`) draw it; the engine knows nothing of it.

pub mod config;
pub mod lane;
pub mod lessons;
pub mod run;
pub mod settings;
pub mod text;

//! The engine's named enums as command-line choices: listed in `--help` with their
//! descriptions, spelt with `-` between words, parsed by the engine itself.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use engine::names::Named;

pub fn choices<T: Named + Clone>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(T::ALL.iter().map(|v| PossibleValue::new(v.name().replace('_', "-")).alias(v.name()).help(v.description())))
        .try_map(|s| s.parse::<T>())
}

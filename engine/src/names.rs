//! The names people type and read for the engine's fieldless enums (strategies, votes,
//! verifiers…): one place that parses and prints them, so no front end keeps a copy.

/// A name that matches none of an enum's variants.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {got:?}: expected one of {expected}")]
pub struct UnknownName {
    pub what: &'static str,
    pub got: String,
    pub expected: String,
}

/// An enum whose variants people name: what a front end needs to offer them as choices.
pub trait Named: Copy + std::fmt::Display + std::str::FromStr<Err = UnknownName> + Send + Sync + 'static {
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
    fn description(self) -> &'static str;
}

/// Gives a fieldless enum [`Named`], with `ALL`, `name()` (snake_case, as its serde form), `description()`,
/// `Display` and `FromStr` (which also takes `-` between words, as a command line spells it).
macro_rules! named {
    ($ty:ident, $what:literal { $($variant:ident => $name:literal: $help:literal,)+ }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            pub fn name(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
            /// One line on what it does, for help texts.
            pub fn description(self) -> &'static str {
                match self { $($ty::$variant => $help),+ }
            }
        }
        impl $crate::names::Named for $ty {
            const ALL: &'static [$ty] = $ty::ALL;
            fn name(self) -> &'static str {
                $ty::name(self)
            }
            fn description(self) -> &'static str {
                $ty::description(self)
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
        impl std::str::FromStr for $ty {
            type Err = $crate::names::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let wanted = s.trim().replace('-', "_");
                $ty::ALL.iter().copied().find(|v| v.name() == wanted).ok_or_else(|| $crate::names::UnknownName {
                    what: $what,
                    got: s.to_string(),
                    expected: $ty::ALL.iter().map(|v| v.name()).collect::<Vec<_>>().join(", "),
                })
            }
        }
    };
}
pub(crate) use named;

#[cfg(test)]
mod tests {
    use crate::search::{Aggregation, Selection, StrategyName};

    #[test]
    fn names_round_trip_and_match_serde() {
        for &s in StrategyName::ALL {
            assert_eq!(s.to_string().parse::<StrategyName>(), Ok(s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::Value::String(s.name().into()));
        }
        assert_eq!("compute-optimal".parse::<StrategyName>(), Ok(StrategyName::ComputeOptimal));
        for &s in Selection::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::Value::String(s.name().into()));
        }
        let e = "median".parse::<Aggregation>().unwrap_err();
        assert_eq!(e.to_string(), "unknown step aggregation \"median\": expected one of last, min, product");
    }
}

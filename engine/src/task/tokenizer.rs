//! Character-level tokenizer with explicit special tokens.

use serde::{Deserialize, Serialize};

/// A token id. Ids 0..4 are the special tokens, the rest one character each.
pub type Token = u32;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokenizer {
    alphabet: Vec<char>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenizeError {
    #[error("character {ch:?} at position {position} is not in the tokenizer's alphabet {alphabet:?}")]
    UnknownChar { ch: char, position: usize, alphabet: String },
    #[error("token id {0} is outside the vocabulary")]
    UnknownId(Token),
}

impl Tokenizer {
    /// Padding: never attended to, never sampled.
    pub const PAD: Token = 0;
    /// Start of a sequence.
    pub const BOS: Token = 1;
    /// End of an answer (the last line of a solution is followed by it).
    pub const EOS: Token = 2;
    /// Separates an earlier attempt from the next one in the revision model's context.
    pub const REV: Token = 3;
    pub const SPECIALS: [&'static str; 4] = ["<pad>", "<bos>", "<eos>", "<rev>"];
    /// The newline character ends every step.
    pub const STEP_END: char = '\n';

    pub fn new(alphabet: &str) -> Self {
        let mut chars: Vec<char> = alphabet.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        Tokenizer { alphabet: chars }
    }

    pub fn vocab_size(&self) -> usize {
        Self::SPECIALS.len() + self.alphabet.len()
    }

    pub fn alphabet(&self) -> String {
        self.alphabet.iter().collect()
    }

    pub fn char_id(&self, ch: char) -> Option<Token> {
        self.alphabet.binary_search(&ch).ok().map(|i| (i + Self::SPECIALS.len()) as Token)
    }

    /// The token that ends a step.
    pub fn step_end(&self) -> Token {
        self.char_id(Self::STEP_END).expect("every alphabet contains the step end")
    }

    pub fn encode(&self, text: &str) -> Result<Vec<Token>, TokenizeError> {
        text.chars()
            .enumerate()
            .map(|(position, ch)| {
                self.char_id(ch).ok_or_else(|| TokenizeError::UnknownChar {
                    ch,
                    position,
                    alphabet: self.alphabet(),
                })
            })
            .collect()
    }

    /// Decodes ids to text; special tokens are written as `<bos>`, `<eos>`, ...
    pub fn decode(&self, ids: &[Token]) -> Result<String, TokenizeError> {
        let mut out = String::new();
        for &id in ids {
            out.push_str(&self.token_text(id)?);
        }
        Ok(out)
    }

    pub fn token_text(&self, id: Token) -> Result<String, TokenizeError> {
        let i = id as usize;
        if i < Self::SPECIALS.len() {
            Ok(Self::SPECIALS[i].to_string())
        } else {
            self.alphabet
                .get(i - Self::SPECIALS.len())
                .map(|c| c.to_string())
                .ok_or(TokenizeError::UnknownId(id))
        }
    }

    /// Character of a non-special id, if any.
    pub fn char_of(&self, id: Token) -> Option<char> {
        (id as usize).checked_sub(Self::SPECIALS.len()).and_then(|i| self.alphabet.get(i).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_text_and_specials() {
        let t = Tokenizer::new("0123456789+-*=\nQA:");
        let text = "Q:12+3\n12+3=15\nA:15";
        let ids = t.encode(text).unwrap();
        assert_eq!(t.decode(&ids).unwrap(), text);
        let with_specials = [vec![Tokenizer::BOS], ids.clone(), vec![Tokenizer::EOS]].concat();
        assert_eq!(t.decode(&with_specials).unwrap(), format!("<bos>{text}<eos>"));
        assert!(ids.iter().all(|&i| i >= 4 && (i as usize) < t.vocab_size()));
    }

    #[test]
    fn unknown_characters_are_named() {
        let t = Tokenizer::new("0123456789\n");
        let err = t.encode("12x").unwrap_err();
        assert!(matches!(err, TokenizeError::UnknownChar { ch: 'x', position: 2, .. }));
        assert!(t.decode(&[999]).is_err());
    }
}

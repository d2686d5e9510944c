//! The 256 Σ-primitive ids and their names, in the three tiers of the ΣLANG design.
//!
//! Ids 0–15 are existential, 16–127 domain primitives (seven families of sixteen) and
//! 128–255 are learned ids that a trained codebook allocates to phrases.

use std::fmt;

/// One of the 256 Σ-primitive ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Primitive(pub u8);

/// The tier a primitive id belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Σ0–Σ15.
    Existential,
    /// Σ16–Σ127.
    Domain,
    /// Σ128–Σ255.
    Learned,
}

const NAMES: [&str; 128] = [
    // existential
    "ENTITY",
    "ACTION",
    "RELATION",
    "ATTRIBUTE",
    "QUANTITY",
    "TEMPORAL",
    "SPATIAL",
    "CAUSAL",
    "MODAL",
    "NEGATION",
    "REFERENCE",
    "COMPOSITE",
    "TRANSFORM",
    "CONDITION",
    "ITERATION",
    "ABSTRACT",
    // domain: code
    "FUNCTION",
    "VARIABLE",
    "CLASS",
    "LOOP",
    "BRANCH",
    "RETURN",
    "IMPORT",
    "PARAMETER",
    "TYPE",
    "OPERATOR",
    "LITERAL",
    "EXPRESSION",
    "STATEMENT",
    "BLOCK",
    "EXCEPTION",
    "ASYNC",
    // domain: math
    "ADD",
    "SUBTRACT",
    "MULTIPLY",
    "DIVIDE",
    "POWER",
    "ROOT",
    "LOG",
    "DERIVATIVE",
    "INTEGRAL",
    "LIMIT",
    "SUMMATION",
    "PRODUCT_OP",
    "MATRIX",
    "VECTOR",
    "TENSOR",
    "SET_OP",
    // domain: logic
    "AND",
    "OR",
    "NOT",
    "IMPLIES",
    "EQUIVALENT",
    "FORALL",
    "EXISTS",
    "EQUALS",
    "GREATER",
    "LESS",
    "MEMBER",
    "SUBSET",
    "UNION",
    "INTERSECT",
    "COMPLEMENT",
    "XOR",
    // domain: entity
    "OBJECT",
    "AGENT",
    "LOCATION",
    "INSTRUMENT",
    "MATERIAL",
    "CONTAINER",
    "PATH",
    "BOUNDARY",
    "GROUP",
    "PART",
    "WHOLE",
    "INSTANCE",
    "CATEGORY",
    "PROPERTY",
    "STATE",
    "EVENT",
    // domain: action
    "CREATE",
    "DESTROY",
    "MODIFY",
    "MOVE",
    "TRANSFER",
    "COMBINE",
    "SEPARATE",
    "COMPARE",
    "SEARCH",
    "SELECT",
    "SORT",
    "FILTER",
    "MAP",
    "REDUCE",
    "VALIDATE",
    "EXECUTE",
    // domain: communication
    "QUERY",
    "ASSERT",
    "COMMAND",
    "REQUEST",
    "EXPLAIN",
    "DESCRIBE",
    "DEFINE",
    "EXAMPLE",
    "REASON",
    "CONCLUSION",
    "ASSUMPTION",
    "HYPOTHESIS",
    "EVIDENCE",
    "ARGUMENT",
    "CONTEXT",
    "REFERENCE_COM",
    // domain: structure
    "LIST",
    "DICT",
    "TREE",
    "GRAPH",
    "STACK",
    "QUEUE",
    "HEAP",
    "ARRAY",
    "STRING",
    "NUMBER",
    "BOOLEAN",
    "NULL",
    "POINTER",
    "BUFFER",
    "STREAM",
    "RECORD",
];

impl Primitive {
    /// A word: a run of letters.
    pub const STRING: Primitive = Primitive(0x78);
    /// A run of decimal digits.
    pub const NUMBER: Primitive = Primitive(0x79);
    /// A run of whitespace.
    pub const BOUNDARY: Primitive = Primitive(0x47);
    /// One ASCII punctuation or symbol character.
    pub const OPERATOR: Primitive = Primitive(0x19);
    /// A non-ASCII character that is not a letter (a dash, a curly quote, …).
    pub const LITERAL: Primitive = Primitive(0x1A);
    /// Bytes that are not valid UTF-8 text, or control characters.
    pub const BUFFER: Primitive = Primitive(0x7D);

    /// The primitive's name, e.g. `STRING` or `LEARNED_5`.
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        match NAMES.get(self.0 as usize) {
            Some(name) => std::borrow::Cow::Borrowed(name),
            None => std::borrow::Cow::Owned(format!("LEARNED_{}", self.0 - 128)),
        }
    }

    /// The tier of the id.
    pub fn tier(self) -> Tier {
        match self.0 {
            0..=15 => Tier::Existential,
            16..=127 => Tier::Domain,
            _ => Tier::Learned,
        }
    }

    /// Looks a primitive up by name (as printed by [`Primitive::name`]).
    pub fn from_name(name: &str) -> Option<Primitive> {
        if let Some(pos) = NAMES.iter().position(|&n| n == name) {
            return Some(Primitive(pos as u8));
        }
        let n: u8 = name.strip_prefix("LEARNED_")?.parse().ok()?;
        (n < 128).then(|| Primitive(128 + n))
    }
}

impl fmt::Display for Primitive {
    /// Σ-notation: `Σ120 STRING`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Σ{:03} {}", self.0, self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_design_table() {
        assert_eq!(Primitive(0).name(), "ENTITY");
        assert_eq!(Primitive(0x0F).name(), "ABSTRACT");
        assert_eq!(Primitive(0x78).name(), "STRING");
        assert_eq!(Primitive(0x7F).name(), "RECORD");
        assert_eq!(Primitive(0x80).name(), "LEARNED_0");
        assert_eq!(Primitive(0xFF).name(), "LEARNED_127");
        assert_eq!(Primitive::STRING.to_string(), "Σ120 STRING");
    }

    #[test]
    fn every_name_maps_back_to_its_id() {
        for id in 0..=255u8 {
            let p = Primitive(id);
            assert_eq!(Primitive::from_name(&p.name()), Some(p));
        }
        assert_eq!(Primitive(5).tier(), Tier::Existential);
        assert_eq!(Primitive(16).tier(), Tier::Domain);
        assert_eq!(Primitive(200).tier(), Tier::Learned);
    }
}

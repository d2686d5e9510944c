//! Where the BWT-stage coders (`cm` and `rank`) read their tunable parameters: the constants
//! this encoder always writes, or a payload's own values.

/// Parameters that a payload carries, so that an encoder can be retuned without a format
/// change, but that this encoder always writes the same: its defaults.
pub(crate) trait EncoderDefaults: Copy + PartialEq {
    const DEFAULT: Self;
}

/// Where a model reads its parameters: from [`DefaultTuning`], whose constants the compiler
/// folds into the model's shifts and multiplies, or from a payload's own parameters. With the
/// constants the default level codes and decodes 6-10 % faster, and the rank coder of `-1` to
/// `-3` decodes 3-5 % faster (codes 1-2 %), to the same bytes.
pub(crate) trait Tuning<P>: Copy {
    fn params(self) -> P;
}

/// The encoder's defaults, as constants.
#[derive(Clone, Copy)]
pub(crate) struct DefaultTuning;

impl<P: EncoderDefaults> Tuning<P> for DefaultTuning {
    #[inline(always)]
    fn params(self) -> P {
        P::DEFAULT
    }
}

impl<P: EncoderDefaults> Tuning<P> for P {
    #[inline(always)]
    fn params(self) -> P {
        self
    }
}

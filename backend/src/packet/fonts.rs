//! The embedded fonts: which face draws which character, how wide text is, and the subsets
//! embedded in a PDF.
//!
//! printpdf only subsets fonts with its `text_layout` feature, which pulls in a whole HTML
//! layout engine. We subset ourselves with allsorts (the parser printpdf already depends on):
//! after layout we know every character a face draws, keep only those glyphs, and hand printpdf
//! the small font. A packet with a handful of Chinese names then embeds a few kilobytes of the
//! 4 MB fallback font, not all of it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{subset, CmapTarget, SubsetProfile};
use printpdf::ParsedFont;
use sha2::{Digest, Sha256};

const NOTO_SANS: &[u8] = include_bytes!("../../fonts/NotoSans-Regular.ttf");
const NOTO_SANS_BOLD: &[u8] = include_bytes!("../../fonts/NotoSans-Bold.ttf");
const NOTO_SANS_MONO: &[u8] = include_bytes!("../../fonts/NotoSansMono-Regular.ttf");
const DROID_FALLBACK: &[u8] = include_bytes!("../../fonts/DroidSansFallbackFull.ttf");
const NANUM_SQUARE: &[u8] = include_bytes!("../../fonts/NanumSquareR.ttf");

/// A font face. `Regular`, `Bold` and `Mono` are styles text asks for; `Cjk` (Chinese and
/// Japanese) and `Hangul` (Korean) are the fallbacks for characters those lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Face {
    Regular,
    Bold,
    Mono,
    Cjk,
    Hangul,
}

impl Face {
    pub(crate) const ALL: [Face; 5] = [Face::Regular, Face::Bold, Face::Mono, Face::Cjk, Face::Hangul];
    /// Tried in order for a character the asked-for face lacks.
    const FALLBACKS: [Face; 2] = [Face::Cjk, Face::Hangul];

    fn index(self) -> usize {
        match self {
            Face::Regular => 0,
            Face::Bold => 1,
            Face::Mono => 2,
            Face::Cjk => 3,
            Face::Hangul => 4,
        }
    }

    fn bytes(self) -> &'static [u8] {
        match self {
            Face::Regular => NOTO_SANS,
            Face::Bold => NOTO_SANS_BOLD,
            Face::Mono => NOTO_SANS_MONO,
            Face::Cjk => DROID_FALLBACK,
            Face::Hangul => NANUM_SQUARE,
        }
    }

    /// PostScript name of the face.
    fn postscript_name(self) -> &'static str {
        match self {
            Face::Regular => "NotoSans-Regular",
            Face::Bold => "NotoSans-Bold",
            Face::Mono => "NotoSansMono-Regular",
            Face::Cjk => "DroidSansFallback",
            Face::Hangul => "NanumSquareR",
        }
    }

    /// Resource name in the PDF (fixed, so the same data gives the same page streams).
    pub(crate) fn resource_name(self) -> &'static str {
        match self {
            Face::Regular => "FNotoSans",
            Face::Bold => "FNotoSansBold",
            Face::Mono => "FNotoSansMono",
            Face::Cjk => "FDroidSansFallback",
            Face::Hangul => "FNanumSquare",
        }
    }
}

/// Metrics of one face, for measuring.
struct Metrics {
    /// Glyph id per character, for the first 256 code points (0: none).
    latin: [u16; 256],
    /// Glyph id per character beyond.
    other: BTreeMap<u32, u16>,
    /// Advance per glyph id, in font units.
    advances: Vec<u16>,
    units_per_em: f32,
}

impl Metrics {
    fn of(font: &ParsedFont) -> Metrics {
        let mut latin = [0_u16; 256];
        let mut other = BTreeMap::new();
        for (&cp, &gid) in &font.codepoint_to_glyph {
            match usize::try_from(cp) {
                Ok(i) if i < 256 => latin[i] = gid,
                _ => {
                    other.insert(cp, gid);
                }
            }
        }
        let max_gid = font.glyph_widths.keys().next_back().copied().unwrap_or(0);
        let mut advances = vec![0_u16; usize::from(max_gid) + 1];
        for (&gid, &w) in &font.glyph_widths {
            advances[usize::from(gid)] = w;
        }
        Metrics { latin, other, advances, units_per_em: f32::from(font.units_per_em.max(1)) }
    }

    fn glyph(&self, c: char) -> Option<u16> {
        let cp = u32::from(c);
        let gid = match usize::try_from(cp) {
            Ok(i) if i < 256 => self.latin[i],
            _ => self.other.get(&cp).copied().unwrap_or(0),
        };
        (gid != 0).then_some(gid)
    }

    /// Advance of a glyph in em.
    fn advance(&self, gid: u16) -> f32 {
        f32::from(self.advances.get(usize::from(gid)).copied().unwrap_or(0)) / self.units_per_em
    }
}

/// The embedded faces, parsed once per process.
pub(crate) struct FontSet {
    metrics: [Metrics; 5],
}

static FONTS: OnceLock<Result<FontSet, String>> = OnceLock::new();

/// The parsed font set (parsed on first use; a failure is remembered, it cannot go away).
pub(crate) fn fonts() -> Result<&'static FontSet, anyhow::Error> {
    FONTS.get_or_init(FontSet::load).as_ref().map_err(|e| anyhow::anyhow!("font: {e}"))
}

fn parse(face: Face) -> Result<ParsedFont, String> {
    ParsedFont::from_bytes(face.bytes(), 0, &mut Vec::new())
        .ok_or_else(|| format!("embedded font {} does not parse", face.resource_name()))
}

impl FontSet {
    fn load() -> Result<FontSet, String> {
        Ok(FontSet {
            metrics: [
                Metrics::of(&parse(Face::Regular)?),
                Metrics::of(&parse(Face::Bold)?),
                Metrics::of(&parse(Face::Mono)?),
                Metrics::of(&parse(Face::Cjk)?),
                Metrics::of(&parse(Face::Hangul)?),
            ],
        })
    }

    fn m(&self, face: Face) -> &Metrics {
        &self.metrics[face.index()]
    }

    /// The face that draws `c` for text in `style`: the style's own face when it has the glyph,
    /// else the first fallback that has it, else the style's face (which draws its "missing" box).
    pub(crate) fn face_for(&self, style: Face, c: char) -> Face {
        if c == ' ' || self.m(style).glyph(c).is_some() {
            return style;
        }
        Face::FALLBACKS.into_iter().find(|f| self.m(*f).glyph(c).is_some()).unwrap_or(style)
    }

    /// Advance of one character in `style`, in em.
    pub(crate) fn advance(&self, style: Face, c: char) -> f32 {
        let face = self.face_for(style, c);
        let m = self.m(face);
        m.glyph(c).map_or_else(|| m.advance(0), |g| m.advance(g))
    }

    /// Width of `text` in points.
    pub(crate) fn width(&self, style: Face, size: f32, text: &str) -> f32 {
        text.chars().map(|c| self.advance(style, c)).sum::<f32>() * size
    }

    /// Splits `text` into runs drawn by one face each: (face, run, x offset in em).
    pub(crate) fn runs<'t>(&self, style: Face, text: &'t str) -> Vec<(Face, &'t str, f32)> {
        let mut out: Vec<(Face, &'t str, f32)> = Vec::new();
        let mut start = 0;
        let mut start_x = 0.0;
        let mut x = 0.0;
        let mut current: Option<Face> = None;
        for (i, c) in text.char_indices() {
            let f = self.face_for(style, c);
            if current.is_some_and(|cur| cur != f) {
                if let Some(cur) = current {
                    out.push((cur, &text[start..i], start_x));
                }
                start = i;
                start_x = x;
            }
            current = Some(f);
            x += self.advance(style, c);
        }
        if let Some(cur) = current {
            out.push((cur, &text[start..], start_x));
        }
        out
    }

    /// A font holding only the glyphs of `chars` in `face`, ready for printpdf.
    pub(crate) fn subset(&self, face: Face, chars: &BTreeSet<char>) -> Result<ParsedFont, anyhow::Error> {
        let m = self.m(face);
        // allsorts wants .notdef first and no duplicates.
        let used: BTreeSet<u16> = chars.iter().filter_map(|&c| m.glyph(c)).collect();
        let gids: Vec<u16> = std::iter::once(0).chain(used).collect();
        let fail = |what: &str| anyhow::anyhow!("font: subsetting {}: {what}", face.resource_name());
        let data = ReadScope::new(face.bytes()).read::<FontData<'_>>().map_err(|e| fail(&e.to_string()))?;
        let provider = data.table_provider(0).map_err(|e| fail(&e.to_string()))?;
        let bytes = subset(&provider, &gids, &SubsetProfile::Pdf, CmapTarget::Unicode)
            .map_err(|e| fail(&format!("{e:?}")))?;
        let mut font = ParsedFont::from_bytes(&bytes, 0, &mut Vec::new())
            .ok_or_else(|| fail("the subset does not parse"))?;
        // A subset font is named with a six-letter tag and "+" (ISO 32000-1, 9.6.4); the tag is
        // derived from the glyphs kept, so the same text gives the same name.
        let digest = Sha256::digest(gids.iter().flat_map(|g| g.to_be_bytes()).collect::<Vec<u8>>());
        let tag: String = digest.iter().take(6).map(|b| char::from(b'A' + b % 26)).collect();
        font.font_name = Some(format!("{tag}+{}", face.postscript_name()));
        Ok(font)
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn every_face_parses_and_falls_back_to_cjk_for_ideographs() {
        let f = fonts().unwrap();
        assert_eq!(f.face_for(Face::Regular, 'é'), Face::Regular);
        assert_eq!(f.face_for(Face::Bold, '東'), Face::Cjk);
        assert_eq!(f.face_for(Face::Regular, '한'), Face::Hangul);
        assert!(f.width(Face::Regular, 10.0, "MMMM") > f.width(Face::Regular, 10.0, "iiii"));
        let runs = f.runs(Face::Regular, "Zoë 東京 GmbH 서울");
        let faces: Vec<Face> = runs.iter().map(|r| r.0).collect();
        assert_eq!(faces, vec![Face::Regular, Face::Cjk, Face::Regular, Face::Hangul]);
        assert_eq!(runs[1].1, "東京");
    }

    #[test]
    fn a_subset_keeps_the_characters_it_was_made_for() {
        let f = fonts().unwrap();
        let chars: BTreeSet<char> = "東京医科".chars().collect();
        let small = f.subset(Face::Cjk, &chars).unwrap();
        assert!(small.original_bytes.len() < 20_000, "{}", small.original_bytes.len());
        for c in chars {
            assert!(small.lookup_glyph_index(u32::from(c)).is_some(), "{c}");
        }
    }
}

//! Text set with the embedded DejaVu faces, the same way in SVG and PNG.
//!
//! plotters' `ab_glyph` renderer places each glyph at the pen position without its left
//! side bearing (so "Shortage" comes out as "Shor tage") and measures text at a different
//! size from the one its SVG backend writes. [`Typeset`] wraps a backend and does both
//! itself: it measures every string with the font's advances and kerning at the SVG's em
//! size (`size / 1.24`), and on raster backends draws each glyph at its own pixel bounds with
//! anti-aliased coverage. SVG text stays `<text>` elements in the same font family.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use plotters::prelude::*;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontStyle, FontTransform,
    text_anchor::{HPos, VPos},
};

use crate::style::{DEJAVU_SANS, DEJAVU_SANS_BOLD};

struct Faces {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

fn faces() -> Option<&'static Faces> {
    static FACES: OnceLock<Option<Faces>> = OnceLock::new();
    FACES
        .get_or_init(|| {
            Some(Faces {
                regular: FontRef::try_from_slice(DEJAVU_SANS).ok()?,
                bold: FontRef::try_from_slice(DEJAVU_SANS_BOLD).ok()?,
            })
        })
        .as_ref()
}

/// plotters' SVG backend writes `font-size = size / 1.24`; text is measured and drawn at that
/// em size everywhere.
const EM_PER_SIZE: f32 = 1.0 / 1.24;

fn face(style: FontStyle) -> Option<&'static FontRef<'static>> {
    let faces = faces()?;
    Some(if matches!(style, FontStyle::Bold) { &faces.bold } else { &faces.regular })
}

/// The pixel scale at which `font`'s em is `size × EM_PER_SIZE` pixels.
fn scale(font: &FontRef<'static>, size: f64) -> PxScale {
    let em = size as f32 * EM_PER_SIZE;
    let units_per_em = font.units_per_em().unwrap_or(2048.0);
    PxScale::from(em * font.height_unscaled() / units_per_em)
}

/// Width of `text` (advances and kerning) and the em size, in pixels.
pub(crate) fn measure(text: &str, size: f64, style: FontStyle) -> (f32, f32) {
    let Some(font) = face(style) else {
        return (text.chars().count() as f32 * size as f32 * 0.5, size as f32 * EM_PER_SIZE);
    };
    let scaled = font.as_scaled(scale(font, size));
    let mut width = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            width += scaled.kern(p, id);
        }
        width += scaled.h_advance(id);
        previous = Some(id);
    }
    (width, size as f32 * EM_PER_SIZE)
}

/// A backend whose text is measured (and, when `raster`, drawn) by this module.
pub(crate) struct Typeset<B> {
    inner: B,
    raster: bool,
}

impl<B> Typeset<B> {
    pub fn new(inner: B, raster: bool) -> Typeset<B> {
        Typeset { inner, raster }
    }
}

impl<B: DrawingBackend> DrawingBackend for Typeset<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<B::ErrorType>> {
        let (width, em) = measure(text, style.size(), style.style());
        Ok((width.ceil() as u32, em.ceil() as u32))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        let color = style.color();
        let font = face(style.style());
        let (true, Some(font), FontTransform::None) = (self.raster, font, style.transform()) else {
            return self.inner.draw_text(text, style, pos);
        };
        if color.alpha == 0.0 {
            return Ok(());
        }
        let (width, em) = measure(text, style.size(), style.style());
        let anchor = style.anchor();
        let x = match anchor.h_pos {
            HPos::Left => pos.0 as f32,
            HPos::Center => pos.0 as f32 - width / 2.0,
            HPos::Right => pos.0 as f32 - width,
        };
        // The baselines plotters' SVG backend asks for: dy = 0.76em, 0.5ex or -0.5ex (DejaVu's
        // x-height is 0.547 em).
        let baseline = pos.1 as f32
            + match anchor.v_pos {
                VPos::Top => 0.76 * em,
                VPos::Center => 0.2735 * em,
                VPos::Bottom => -0.2735 * em,
            };
        let scaled = font.as_scaled(scale(font, style.size()));
        let (w, h) = self.inner.get_size();
        let mut pen = x;
        let mut previous = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = previous {
                pen += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(scaled.scale(), point(pen, baseline));
            pen += scaled.h_advance(id);
            previous = Some(id);
            let Some(outline) = font.outline_glyph(glyph) else { continue };
            let bounds = outline.px_bounds();
            let mut pixels = Vec::new();
            outline.draw(|gx, gy, coverage| {
                pixels.push((bounds.min.x as i32 + gx as i32, bounds.min.y as i32 + gy as i32, coverage));
            });
            for (px, py, coverage) in pixels {
                if coverage <= 0.0 || px < 0 || py < 0 || px >= w as i32 || py >= h as i32 {
                    continue;
                }
                let alpha = color.alpha * f64::from(coverage.min(1.0));
                self.inner.draw_pixel((px, py), BackendColor { alpha, rgb: color.rgb })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_with_the_font_advances() {
        // DejaVu Sans advances: "i" 569 units, "W" 2025 units of 2048 per em. At size 62 the
        // em is 62 / 1.24 = 50 px.
        let (i, em) = measure("i", 62.0, FontStyle::Normal);
        assert!((em - 50.0).abs() < 1e-4);
        assert!((i - 569.0 / 2048.0 * 50.0).abs() < 0.01, "{i}");
        let (w, _) = measure("W", 62.0, FontStyle::Normal);
        assert!((w - 2025.0 / 2048.0 * 50.0).abs() < 0.01, "{w}");
        // Bold is wider.
        assert!(
            measure("Shortage", 62.0, FontStyle::Bold).0 > measure("Shortage", 62.0, FontStyle::Normal).0
        );
    }
}

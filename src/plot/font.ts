/**
 * A 5x7 bitmap font (printable ASCII) drawn for medinets' PNG plots, so figures render
 * without a browser, canvas or system fonts. Each glyph is its character followed by
 * seven base-32 digits, one per row, the high bit of 5 the leftmost pixel.
 */
const PACKED =
  '0ehjlphe14c4444e2eh1248v3v2421he426aiv225vgu11he668guhhe7v1248888ehhehhe9ehhf12cAehhvhhhBuhhuhhuCehgggheDsihhhisEvgguggvFvggugggGehgnhhfHhhhvhhhIe44444eJ72222icKhikokihLggggggvMhrllhhhNhhpljhhOehhhhhePuhhugggQehhhlidRuhhukihSfgge11uTv444444UhhhhhheVhhhhha4WhhhlllaXhha4ahhYhha4444Zv1248gva00e1fhfbggmphhuc00egghed11djhhfe00ehvgef698s888g0fhhf1ehggmphhhi40c444ej20622ickggikokilc44444em00qllhhn00mphhho00ehhhep00uhuggq00djf11r00mpgggs00ege1ut88s8896u00hhhjdv00hhha4w00hhllax00ha4ahy00hhf1ez00v248v.00000cc,0000c48:0cc0cc0;0cc0c48-000v000+044v440(2488842)8422248[e88888e]e22222e%op248j3=00v0v00/01248g0\\0g84210_000000v<248g842>8421248!4444404?eh12404\'4480000"aaa0000#aavavaa*04lel40&cik8lid@eh1dlle|4444444^4ah0000~008l200{2448442}8442448$4fke5u4`8400000';

const GLYPHS = new Map<string, number[]>();
for (let i = 0; i + 8 <= PACKED.length; i += 8) {
  GLYPHS.set(
    PACKED[i] as string,
    Array.from(PACKED.slice(i + 1, i + 8), (d) => parseInt(d, 32)),
  );
}
GLYPHS.set(' ', [0, 0, 0, 0, 0, 0, 0]);
const MISSING = [31, 17, 17, 17, 17, 17, 31];

/** Glyph cell: 5 pixels of ink plus 1 of spacing, 7 rows plus 2 of leading. */
export const FONT_ADVANCE = 6;
/** Glyph ink height in font pixels. */
export const FONT_HEIGHT = 7;

/** Rows of the glyph for `ch` (5-bit masks, top row first); a hollow box when unknown. */
export function glyphRows(ch: string): number[] {
  return GLYPHS.get(ch) ?? MISSING;
}

/**
 * The ten KMNIST classes: hiragana characters with their code points and romaji.
 *
 * @module
 */

/** One KMNIST class. */
export interface KmnistClass {
  /** Label value 0..9 as stored in the label files. */
  index: number;
  /** The hiragana character, e.g. "お". */
  char: string;
  /** Its Unicode code point written as in kmnist_classmap.csv, e.g. "U+304A". */
  codepoint: string;
  /** Its Hepburn romanisation, e.g. "o". */
  romaji: string;
}

/** The classes in label order: お o, き ki, す su, つ tsu, な na, は ha, ま ma, や ya, れ re, を wo. */
export const KMNIST_CLASSES: readonly KmnistClass[] = Object.freeze(
  (
    [
      ["U+304A", "o"],
      ["U+304D", "ki"],
      ["U+3059", "su"],
      ["U+3064", "tsu"],
      ["U+306A", "na"],
      ["U+306F", "ha"],
      ["U+307E", "ma"],
      ["U+3084", "ya"],
      ["U+308C", "re"],
      ["U+3092", "wo"],
    ] as const
  ).map(([codepoint, romaji], index) =>
    Object.freeze({
      index,
      codepoint,
      char: String.fromCodePoint(parseInt(codepoint.slice(2), 16)),
      romaji,
    })
  ),
);

/**
 * Parses the official `kmnist_classmap.csv` (`index,codepoint,char`) and checks it against
 * {@link KMNIST_CLASSES}.
 *
 * @param text the file's contents.
 * @param fileName used in error messages.
 * @throws Error if a row is missing, malformed or disagrees with the known class list.
 */
export function parseClassMap(text: string, fileName = "kmnist_classmap.csv"): KmnistClass[] {
  const lines = text.replace(/^\uFEFF/, "").trim().split(/\r?\n/);
  if (lines[0]?.trim() !== "index,codepoint,char") {
    throw new Error(
      `${fileName}: expected the header "index,codepoint,char", found "${lines[0]}". ` +
        `Replace the file with the official KMNIST class map.`,
    );
  }
  const rows = lines.slice(1);
  if (rows.length !== KMNIST_CLASSES.length) {
    throw new Error(`${fileName}: expected 10 class rows, found ${rows.length}.`);
  }
  return rows.map((row, i) => {
    const [index, codepoint, char] = row.split(",");
    const known = KMNIST_CLASSES[i];
    if (Number(index) !== i || codepoint !== known.codepoint || char !== known.char) {
      throw new Error(
        `${fileName}: row ${i + 1} is "${row}", expected "${i},${known.codepoint},${known.char}".`,
      );
    }
    return known;
  });
}

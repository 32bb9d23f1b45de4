// Limits every graph shares: they keep every byte offset of a planned arena far inside i32.

/** Widest layer, and largest single dimension of any value. */
export const MAX_UNITS = 1 << 20;
/** Most elements of one value per example. */
export const MAX_ELEMENTS = 1 << 26;

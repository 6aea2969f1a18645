// Bit widths shared by the cost model, the rewrite and the sweeps.

/** Bits of a float32 weight or activation: "not quantized". */
export const FLOAT_BITS = 32;

// sdla_meta_check: 2:4 metadata check of the weight column on the load port.
//
// In 2:4 mode the weights of a column come in pairs (lanes 2p, 2p+1), one
// pair per group of 4 activations; each weight carries a 2-bit index into
// its group. The two kept weights of a group must pick different
// activations, in order: idx(2p) < idx(2p+1). Anything else (equal indices,
// reversed order) is invalid metadata: `meta_err` rises and the array
// refuses to load the column (MacDatapath::metadata_valid in
// models/mac_datapath.cpp is the same rule).
//
// Lanes are counted in the current precision: ATOMIC_C int8 lanes
// (ATOMIC_C/2 pairs) or ATOMIC_C/2 int16 lanes (floor(ATOMIC_C/4) pairs).
// Purely combinational: the core samples it for every column of a pass
// before clocking the first load, so an invalid pass leaves the array as it
// was (the model's rule: a rejected pass changes no state).
`timescale 1ps / 1ps

module sdla_meta_check #(
    parameter int ATOMIC_C = 8  // int8 lanes of the column
) (
    input  logic                  mode_int16,  // 1: int16 lanes (ATOMIC_C/2)
    input  logic                  sparse,      // 1: 2:4 weights
    input  logic [2*ATOMIC_C-1:0] w_idx,       // 2-bit index per lane, lane i at [2i+1:2i]
    output logic                  meta_err
);
  localparam int Pairs8 = ATOMIC_C / 2;   // int8 lane pairs
  localparam int Pairs16 = ATOMIC_C / 4;  // int16 lane pairs (an odd last lane has no partner)

  logic [Pairs8-1:0] bad;      // pair p has idx0 >= idx1
  logic [Pairs8-1:0] in_mode;  // pair p exists in the current precision

  for (genvar p = 0; p < Pairs8; p++) begin : g_pair
    assign bad[p] = w_idx[4*p+1 -: 2] >= w_idx[4*p+3 -: 2];
    assign in_mode[p] = !mode_int16 || (p < Pairs16);
  end

  assign meta_err = sparse && |(bad & in_mode);
endmodule
